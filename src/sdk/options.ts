import { HaloError } from '../errors.js';
import type { RetryPolicy } from './delivery.js';
import type { HaloOptions, HaloTheme, IdentityExpiredEvent, UserTraits } from '../types.js';

/** {@link HaloOptions} with every default filled in, validated once. */
export interface ResolvedOptions {
  widgetKey: string;
  apiBase: string;
  userId: string | null;
  userToken: string | null;
  userTraits: UserTraits;
  getUserToken: (() => Promise<string>) | null;
  onIdentityExpired: ((event: IdentityExpiredEvent) => void) | null;
  onError: ((error: HaloError) => void) | null;
  refreshSkewSeconds: number;
  tokenTimeoutMs: number;
  launcher: boolean;
  theme: HaloTheme;
  retry: RetryPolicy;
  fetch: typeof fetch;
}

export const SECRET_PREFIX = 'ha_secret_';
const WIDGET_KEY = /^ab_(live|test)_[A-Za-z0-9_-]{8,}$/;

let defaultApiBase: string | null = null;

/**
 * Set by the script-tag entry to the origin of the `<script src>` that loaded it,
 * so `apiBase` defaults to where `halo.js` came from.
 */
export function setDefaultApiBase(origin: string | null): void {
  defaultApiBase = origin;
}

/** True when `value`, or any string inside it, is an identity secret. */
export function containsSecret(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.startsWith(SECRET_PREFIX);
  // Depth cap: traits are small by contract; a cyclic object must not hang the check.
  if (depth > 5 || typeof value !== 'object' || value === null) return false;
  return Object.values(value).some((v) => containsSecret(v, depth + 1));
}

export function secretExposed(where: string): HaloError {
  return new HaloError(
    'secret_exposed',
    `${where} holds an identity secret (ha_secret_…): keep it on your backend and pass a signed userToken.`,
  );
}

function invalid(option: string, expected: string): HaloError {
  return new HaloError('invalid_options', `Invalid option \`${option}\`: expected ${expected}.`);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

const isBrowser = (): boolean => typeof window !== 'undefined' && typeof document !== 'undefined';

function optionalString(o: Record<string, unknown>, key: string): string | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || v === '') throw invalid(key, 'a non-empty string');
  return v;
}

function optionalFunction<T>(o: Record<string, unknown>, key: string): T | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'function') throw invalid(key, 'a function');
  return v as T;
}

function numberOption(o: Record<string, unknown>, key: string, fallback: number, min: number): number {
  const v = o[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw invalid(key, `a number ≥ ${min}`);
  return v;
}

function resolveApiBase(value: string | null): string {
  const raw = value ?? defaultApiBase ?? (isBrowser() ? globalThis.location?.origin : undefined);
  if (!raw) throw invalid('apiBase', 'the Halo API URL');
  let url: URL;
  try {
    url = new URL(raw);
  } catch (cause) {
    throw new HaloError('invalid_options', 'Invalid option `apiBase`: expected an http(s) URL.', { cause });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid('apiBase', 'an http(s) URL');
  return url.href.replace(/\/+$/, '');
}

function resolveRetry(value: unknown): RetryPolicy {
  if (value !== undefined && !isPlainObject(value)) throw invalid('retry', 'an object');
  const o = (value ?? {}) as Record<string, unknown>;
  const attempts = numberOption(o, 'attempts', 4, 1);
  if (!Number.isInteger(attempts)) throw invalid('retry.attempts', 'a whole number ≥ 1');
  return { attempts, baseDelayMs: numberOption(o, 'baseDelayMs', 300, 0), maxDelayMs: numberOption(o, 'maxDelayMs', 5000, 0) };
}

function resolveTheme(value: unknown): HaloTheme {
  if (value === undefined) return {};
  if (!isPlainObject(value)) throw invalid('theme', 'an object');
  const theme: HaloTheme = {};
  if (value.accent !== undefined) {
    if (typeof value.accent !== 'string') throw invalid('theme.accent', 'a CSS colour string');
    theme.accent = value.accent;
  }
  if (value.position !== undefined) {
    if (value.position !== 'left' && value.position !== 'right') throw invalid('theme.position', "'left' or 'right'");
    theme.position = value.position;
  }
  return theme;
}

/**
 * Validates {@link HaloOptions} and fills in every default, in one place.
 * Throws `secret_exposed` before any other check, then `invalid_options` naming the option.
 */
export function resolveOptions(options: HaloOptions): ResolvedOptions {
  if (containsSecret(options)) throw secretExposed('The options');
  if (!isPlainObject(options)) throw invalid('options', 'an object with at least `widgetKey`');
  const o = options as unknown as Record<string, unknown>;

  if (typeof o.widgetKey !== 'string' || o.widgetKey === '') throw invalid('widgetKey', "a string such as 'ab_live_…'");
  if (!WIDGET_KEY.test(o.widgetKey)) throw invalid('widgetKey', "a publishable key starting with 'ab_live_' or 'ab_test_'");

  const userTraits = o.userTraits ?? {};
  if (!isPlainObject(userTraits)) throw invalid('userTraits', 'a plain object');
  if (o.launcher !== undefined && typeof o.launcher !== 'boolean') throw invalid('launcher', 'a boolean');
  const userToken = optionalString(o, 'userToken');
  const userId = optionalString(o, 'userId');
  if (userToken && !userId) throw invalid('userToken', 'to come with a `userId`');
  const customFetch = optionalFunction<typeof fetch>(o, 'fetch');

  return {
    widgetKey: o.widgetKey,
    apiBase: resolveApiBase(optionalString(o, 'apiBase')),
    userId,
    userToken,
    userTraits: { ...userTraits } as UserTraits,
    getUserToken: optionalFunction(o, 'getUserToken'),
    onIdentityExpired: optionalFunction(o, 'onIdentityExpired'),
    onError: optionalFunction(o, 'onError'),
    refreshSkewSeconds: numberOption(o, 'refreshSkewSeconds', 300, 0),
    tokenTimeoutMs: numberOption(o, 'tokenTimeoutMs', 10_000, 1),
    launcher: (o.launcher as boolean | undefined) ?? isBrowser(),
    theme: resolveTheme(o.theme),
    retry: resolveRetry(o.retry),
    // Looked up per call, so a test or polyfill that replaces globalThis.fetch later still applies.
    fetch: customFetch ?? ((input, init) => globalThis.fetch(input, init)),
  };
}
