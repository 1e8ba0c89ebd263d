import { DEV } from '../dev.js';
import { invalidOption, secretExposed } from '../errors.js';
import { MAX_MESSAGE_CHARS } from '../limits.js';
import type { HaloEventName } from '../types.js';
import { containsSecret, isPlainObject } from './options.js';

// The checks of the public methods' arguments. A bad argument is a bad option: it throws
// `invalid_options` naming the argument, like createHalo does (and `secret_exposed` first).

const EVENTS: HaloEventName[] = ['message', 'identity', 'identityExpired', 'error'];

const nonEmpty = (value: unknown): value is string => typeof value === 'string' && value !== '';

/** identify(userId, traits?, { userToken? }): the userToken, once every argument is valid. */
export function checkIdentify(userId: unknown, traits: unknown, options: unknown): string | undefined {
  if (containsSecret([userId, traits, options])) throw secretExposed('identify()');
  if (!nonEmpty(userId)) throw invalidOption('userId', DEV && 'a non-empty string');
  if (!isPlainObject(traits)) throw invalidOption('traits', DEV && 'a plain object');
  const userToken = isPlainObject(options) ? options.userToken : 0;
  if (!(userToken === undefined || nonEmpty(userToken))) throw invalidOption('userToken', DEV && 'a non-empty string in a plain object');
  return userToken;
}

/** sendMessage(text): non-blank, at most MAX_MESSAGE_CHARS code points (request-limits). */
export function checkText(text: unknown): void {
  if (!nonEmpty(text) || !text.trim() || [...text].length > MAX_MESSAGE_CHARS) {
    throw invalidOption('text', DEV && `a non-blank string of at most ${MAX_MESSAGE_CHARS} characters`);
  }
}

/** on(event, handler): a known event and a function. */
export function checkListener(event: unknown, handler: unknown): void {
  if (!EVENTS.includes(event as HaloEventName)) throw invalidOption('event', DEV && `one of ${EVENTS.join(', ')}`);
  if (typeof handler !== 'function') throw invalidOption('handler', DEV && 'a function');
}
