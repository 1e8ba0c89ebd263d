import { invalidOption, secretExposed, type HaloError } from '../errors.js';
import { DEV } from '../dev.js';
import { isSecret } from '../protocol.js';
import type { RetryPolicy } from './delivery.js';
import type { HaloOptions, HaloTheme, IdentityExpiredEvent, UserTraits } from '../types.js';

/** {@link HaloOptions} with every default filled in, validated once. */
export interface ResolvedOptions {
  widgetKey: string;
  apiBase: string;
  userId: string | null;
  userToken: string | null;
  userTraits: UserTraits;
  getUserToken: NonNullable<HaloOptions['getUserToken']> | null;
  onIdentityExpired: ((event: IdentityExpiredEvent) => void) | null;
  onError: ((error: HaloError) => void) | null;
  refreshSkewSeconds: number;
  tokenTimeoutMs: number;
  launcher: boolean;
  theme: HaloTheme;
  retry: RetryPolicy;
  fetch: typeof fetch;
}

const WIDGET_KEY = /^ab_(live|test)_[A-Za-z0-9_-]+$/;

let defaultApiBase: string | null = null;

/**
 * Set by the script-tag entry to the origin of the `<script src>` that loaded it,
 * so `apiBase` defaults to where `halo.js` came from.
 */
export function setDefaultApiBase(origin: string | null): void {
  defaultApiBase = origin;
}

/** True when `value`, or any string inside it at any depth, is an identity secret. */
export function containsSecret(value: unknown, seen = new WeakSet<object>()): boolean {
  if (typeof value === 'string') return isSecret(value);
  // `seen`: a cyclic object must not hang the check.
  if (typeof value !== 'object' || value === null || seen.has(value)) return false;
  seen.add(value);
  return Object.values(value).some((v) => containsSecret(v, seen));
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

const isBrowser = (): boolean => typeof window !== 'undefined' && typeof document !== 'undefined';

/** The type of every option; one loop checks them all (a table is smaller than code). */
const KINDS: Record<string, string> = {
  widgetKey: 'string',
  apiBase: 'string',
  userId: 'string',
  userToken: 'string',
  userTraits: 'object',
  getUserToken: 'function',
  onIdentityExpired: 'function',
  onError: 'function',
  refreshSkewSeconds: 'number',
  tokenTimeoutMs: 'number',
  launcher: 'boolean',
  theme: 'object',
  retry: 'object',
  fetch: 'function',
};

function checkKinds(o: Record<string, unknown>, kinds: Record<string, string>, prefix = ''): void {
  for (const key in kinds) {
    const value = o[key];
    const kind = kinds[key];
    if (value === undefined || (value === null && kind !== 'number')) continue;
    const ok =
      kind === 'object'
        ? isPlainObject(value)
        : typeof value === kind && value !== '' && (kind !== 'number' || ((value as number) >= 0 && Number.isFinite(value)));
    if (!ok)
      throw invalidOption(
        prefix + key,
        DEV && (kind === 'number' ? 'a number ≥ 0' : kind === 'string' ? 'a non-empty string' : `a${kind === 'object' ? 'n' : ''} ${kind}`),
      );
  }
}

function resolveApiBase(value: string | undefined): string {
  const raw = value ?? defaultApiBase ?? (isBrowser() ? globalThis.location?.origin : undefined);
  let url: URL | null = null;
  try {
    url = raw ? new URL(raw) : null;
  } catch (error) {
    // Reported just below, naming the option.
    void error;
  }
  if (!url || !/^https?:$/.test(url.protocol)) throw invalidOption('apiBase', DEV && 'the http(s) URL of the Halo API');
  return url.href.replace(/\/+$/, '');
}

/**
 * Validates {@link HaloOptions} and fills in every default, in one place.
 * Throws `secret_exposed` before any other check, then `invalid_options` naming the option.
 */
export function resolveOptions(options: HaloOptions): ResolvedOptions {
  if (containsSecret(options)) throw secretExposed('The options');
  if (!isPlainObject(options)) throw invalidOption('options', DEV && 'an object with at least `widgetKey`');
  const o = options as unknown as Record<string, unknown>;
  checkKinds(o, KINDS);
  if (!WIDGET_KEY.test(typeof o.widgetKey === 'string' ? o.widgetKey : ''))
    throw invalidOption('widgetKey', DEV && "a publishable key: 'ab_live_…' or 'ab_test_…'");
  if (o.userToken && !o.userId) throw invalidOption('userToken', DEV && 'to come with a `userId`');
  if (o.tokenTimeoutMs === 0) throw invalidOption('tokenTimeoutMs', DEV && 'a number > 0');
  const theme = (o.theme ?? {}) as HaloTheme;
  checkKinds(
    theme as Record<string, unknown>,
    { accent: 'string', position: 'string', title: 'string', subtitle: 'string', avatarUrl: 'string' },
    'theme.',
  );
  if (theme.position && theme.position !== 'left' && theme.position !== 'right')
    throw invalidOption('theme.position', DEV && "'left' or 'right'");
  const retry = (o.retry ?? {}) as Partial<RetryPolicy>;
  checkKinds(retry as Record<string, unknown>, { attempts: 'number', baseDelayMs: 'number', maxDelayMs: 'number' }, 'retry.');
  const attempts = retry.attempts ?? 4;
  if (!Number.isInteger(attempts) || attempts < 1) throw invalidOption('retry.attempts', DEV && 'a whole number ≥ 1');
  const customFetch = o.fetch as typeof fetch | undefined;

  return {
    widgetKey: o.widgetKey as string,
    apiBase: resolveApiBase(o.apiBase as string | undefined),
    userId: (o.userId as string | undefined) ?? null,
    userToken: (o.userToken as string | undefined) ?? null,
    userTraits: { ...(o.userTraits as UserTraits | undefined) },
    getUserToken: (o.getUserToken as ResolvedOptions['getUserToken']) ?? null,
    onIdentityExpired: (o.onIdentityExpired as ResolvedOptions['onIdentityExpired']) ?? null,
    onError: (o.onError as ResolvedOptions['onError']) ?? null,
    refreshSkewSeconds: (o.refreshSkewSeconds as number | undefined) ?? 300,
    tokenTimeoutMs: (o.tokenTimeoutMs as number | undefined) ?? 10_000,
    launcher: (o.launcher as boolean | undefined) ?? isBrowser(),
    theme: { ...theme },
    retry: { attempts, baseDelayMs: retry.baseDelayMs ?? 300, maxDelayMs: retry.maxDelayMs ?? 5000 },
    // Looked up per call, so a test or polyfill that replaces globalThis.fetch later still applies.
    fetch: customFetch ?? ((input, init) => globalThis.fetch(input, init)),
  };
}
