import { DEV } from '../dev.js';
import { invalidOption, invalidRequest, secretExposed } from '../errors.js';
import { MAX_CLIENT_MESSAGE_ID, MAX_MESSAGE_CHARS } from '../protocol.js';
import type { HaloEventName } from '../types.js';
import { containsSecret, isPlainObject } from './options.js';

// The checks of the public methods' arguments (docs/decisions/0003-argument-and-option-errors.md):
// identify's arguments are options of the identity, so they get `invalid_options` naming the
// argument, as createHalo's do; a bad message gets `invalid_request`, the API's code for it.

const EVENTS: HaloEventName[] = ['message', 'identity', 'identityExpired', 'error', 'open', 'close', 'unread', 'pending', 'messageDelta'];

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
    throw invalidRequest(DEV && `text must be a non-blank string of at most ${MAX_MESSAGE_CHARS} characters.`);
  }
}

/** sendMessage's options: `{ clientMessageId? }`, an id of 1–100 characters; returns it. */
export function checkSendOptions(options: unknown): string | undefined {
  const id = isPlainObject(options) ? options.clientMessageId : options === undefined ? undefined : 0;
  if (id !== undefined && !(nonEmpty(id) && id.length <= MAX_CLIENT_MESSAGE_ID)) {
    throw invalidRequest(DEV && `sendMessage options: clientMessageId must be a string of 1 to ${MAX_CLIENT_MESSAGE_ID} characters.`);
  }
  return id;
}

/** on(event, handler): a known event and a function. */
export function checkListener(event: unknown, handler: unknown): void {
  if (!EVENTS.includes(event as HaloEventName) || typeof handler !== 'function') {
    throw invalidRequest(DEV && `on(event, handler): the event is one of ${EVENTS.join(', ')}, the handler a function.`);
  }
}
