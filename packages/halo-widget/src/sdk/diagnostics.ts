import type { HaloError } from '../errors.js';
import type { ServerClock } from './clock.js';
import { decodeClaims } from './jwt.js';
import type { ResolvedOptions } from './options.js';

// Development-build diagnostics (docs/troubleshooting.md): one console line per cause and
// client, prefixed `[halo]`, that names the fix. Every call site is written `if (DEV) …` or
// `DEV ? … : …`, so the production build never reaches this module and drops it whole
// (docs/decisions/0001-development-build.md). No line ever repeats a token or a secret.

/** What the diagnostics of one client need to know of its options. */
export type DiagnosticsSettings = Pick<ResolvedOptions, 'apiBase' | 'refreshSkewSeconds' | 'getUserToken'>;

/** The options {@link startDiagnostics} reads, and watches. */
export type DiagnosticsOptions = DiagnosticsSettings & Pick<ResolvedOptions, 'fetch' | 'userToken'>;

type Level = 'warn' | 'error';

/** The one `getUserToken` shape the docs show: checks `r.ok`, reads the token as text. */
export const TOKEN_SNIPPET =
  "const r = await fetch('/api/halo-token', { credentials: 'include' }); if (!r.ok) throw new Error('token endpoint ' + r.status); return r.text();";

/** What to do for each reason of an enforce-mode `403 identity_verification_failed`. */
function reasonFix(reason: string, hasGetUserToken: boolean): string | null {
  switch (reason) {
    case 'token_expired':
      return hasGetUserToken
        ? "getUserToken gave a token the server also found past its exp. Sign a new token on every request to your token endpoint (never cache it), with exp at least 10 minutes ahead, and keep that server's clock in sync (NTP)."
        : 'the token expired and there is no getUserToken to fetch a new one. Pass getUserToken (see docs/troubleshooting.md), or hand a new token over with identify(userId, traits, { userToken }) from onIdentityExpired.';
    case 'token_invalid':
      return "the server could not verify the token. Sign it with HS256 and this project's identity secret exactly as written (the whole ha_secret_… string, as UTF-8 bytes), with numeric exp and iat claims; after a secret rotation, sign with the new secret.";
    case 'user_mismatch':
      return "the token's user_id differs from the user_id the SDK sent. Sign user_id with the same id you pass as userId to createHalo or identify().";
    case 'token_missing':
      return 'enforce mode needs a token with every identified call. Pass userToken and/or getUserToken together with userId, or keep the project in monitor mode while you roll out.';
    default:
      return null;
  }
}

const originOf = (url: string): string | null => {
  try {
    return new URL(url).origin;
  } catch (error) {
    // `inline`, `eval` or an empty blockedURI: not a request this SDK made.
    void error;
    return null;
  }
};

const pageOrigin = (): string | null => (typeof location === 'undefined' ? null : location.origin);

/** How a CSP source list names `origin`: `'self'` for the page's own origin. */
const cspSource = (origin: string): string => (origin === pageOrigin() ? `'self' (this page's origin, ${origin})` : origin);

/** Whether `text` is the Halo API's JSON error shape, `{ "error": { "code": "…" } }`. */
function isHaloErrorBody(text: string): boolean {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown } } | null;
    return typeof body?.error?.code === 'string';
  } catch (error) {
    // An HTML page or plain text: certainly not the Halo API.
    void error;
    return false;
  }
}

/** The Halo API's 404 for a path it does not serve (not one of its own "no such conversation"). */
async function unknownPath(response: Response): Promise<boolean> {
  try {
    const body = (await response.clone().json()) as { error?: { code?: unknown; reason?: unknown } } | null;
    return body?.error?.code === 'not_found' && body.error.reason === 'unknown_path';
  } catch (error) {
    // Not JSON: the older check (is the apiBase option set?) speaks for it.
    void error;
    return false;
  }
}

/** What a `getUserToken` value that is not a JWT looks like, or `null` when it is not one of the usual mistakes. */
function notAJwt(value: unknown): string | null {
  if (typeof value === 'object' && value !== null) return 'an object (a parsed JSON body?)';
  if (typeof value !== 'string') return null;
  const start = value.trimStart()[0];
  if (start === '<') return 'an HTML page (your token endpoint answered an error or login page)';
  if (start === '{' || start === '[' || start === '"') return 'JSON';
  return null;
}

/**
 * The development diagnostics of one client: it prints each cause once, and listens for
 * the page's CSP `connect-src` violations while the client lives.
 */
export class Diagnostics {
  readonly #said = new Set<string>();
  readonly #settings: DiagnosticsSettings;
  readonly #clock: ServerClock;
  readonly #apiOrigin: string | null;
  #tokenPending = 0;
  #tokenFailed = false;
  /** The claims of the last token handed over, for a clock check once the server's time is known. */
  #lastClaims: { iat?: number; exp?: number } | null = null;
  #stop: (() => void) | null = null;

  constructor(settings: DiagnosticsSettings, clock: ServerClock) {
    this.#settings = settings;
    this.#clock = clock;
    this.#apiOrigin = originOf(settings.apiBase);
    if (typeof document !== 'undefined' && typeof document.addEventListener === 'function') {
      const listener = (event: Event) => this.#violation(event as SecurityPolicyViolationEvent);
      document.addEventListener('securitypolicyviolation', listener);
      this.#stop = () => document.removeEventListener('securitypolicyviolation', listener);
    }
  }

  /** Prints `text` once for `cause`. */
  say(cause: string, level: Level, text: string): void {
    if (this.#said.has(cause)) return;
    this.#said.add(cause);
    console[level](`[halo] ${text}`);
  }

  /** A reported error whose cause the developer can fix. */
  error(error: HaloError, userId: string | null): void {
    if (error.code === 'secret_exposed') hintSecret(this);
    else if (error.code === 'token_user_mismatch') {
      this.say(
        'token-user',
        'error',
        `token_user_mismatch: a token's user_id is not "${userId}", the userId of this client, so it is never sent (token-matches-user). Sign the token with user_id set to the same id you pass as userId to createHalo or identify().`,
      );
    } else if (error.code === 'identity_expired' && error.reason) {
      // A signing server whose clock is off looks like an expired token or a wrong secret: say the real cause.
      if ((error.reason === 'token_expired' || error.reason === 'token_invalid') && this.#clockHint()) return;
      const fix = reasonFix(error.reason, this.#settings.getUserToken !== null);
      if (fix) this.say(`403:${error.reason}`, 'error', `identity_expired: enforce mode refused the token (403 ${error.reason}): ${fix}`);
    }
  }

  /** A token handed to the SDK (userToken, identify, getUserToken): its shape and its lifetime. */
  token(value: unknown, from: 'userToken' | 'getUserToken'): void {
    const shape = from === 'getUserToken' ? notAJwt(value) : null;
    if (shape) {
      this.say(
        'token-shape',
        'error',
        `getUserToken returned ${shape} instead of a JWT (three base64url parts, "eyJ…"). Have your token endpoint answer the token as text/plain, check r.ok and read it with r.text(): ${TOKEN_SNIPPET}`,
      );
      return;
    }
    const claims = typeof value === 'string' ? decodeClaims(value) : null;
    if (claims) this.#lastClaims = claims;
    if (claims && this.#clock.known) this.#clockHint();
    if (claims?.exp === undefined) return;
    const skew = this.#settings.refreshSkewSeconds;
    const lifetime = Math.round(claims.exp - (claims.iat ?? this.#clock.nowSeconds()));
    if (lifetime > 0 && lifetime < skew) {
      this.say(
        'short-token',
        'warn',
        `a user token that lives ${lifetime} s is shorter than the ${skew} s refresh skew (refreshSkewSeconds), so it would be refreshed on nearly every call. Sign tokens that live at least 10 minutes (exp = iat + 600 or more).`,
      );
    }
  }

  /** getUserToken, watched: its value's shape and lifetime, and whether a failure may be CSP's. */
  watch(getUserToken: ResolvedOptions['getUserToken']): ResolvedOptions['getUserToken'] {
    if (!getUserToken) return null;
    return async (context) => {
      this.#tokenPending++;
      try {
        const token = await getUserToken(context);
        this.#tokenFailed = false;
        this.token(token, 'getUserToken');
        return token;
      } catch (error) {
        this.#tokenFailed = true;
        const what = error instanceof Error ? `${error.name}: ${error.message.slice(0, 200)}` : typeof error;
        this.say(
          'token-threw',
          'error',
          `getUserToken threw (${what}), so the call goes without a fresh token and enforce refuses it. Make your token endpoint answer 200 with the token as text for a signed-in user, and throw only when nobody is signed in: ${TOKEN_SNIPPET}`,
        );
        throw error;
      } finally {
        this.#tokenPending--;
      }
    };
  }

  /** The SDK's fetch, watched for a 404/405 that is not the Halo API answering (a missing apiBase). */
  watchFetch(fetchFn: typeof fetch): typeof fetch {
    return async (input, init) => {
      let response: Response;
      try {
        response = await fetchFn(input, init);
      } catch (error) {
        // A refused CORS preflight or a missing Access-Control-Allow-Origin is a TypeError with no answer to read.
        if (error instanceof TypeError && typeof location !== 'undefined') {
          this.say(
            'no-answer',
            'error',
            `the request to ${this.#settings.apiBase} got no answer the page may read (a network error, or CORS). If the console shows a CORS error, add this page's origin (${location.origin}) to the project's allowedOrigins (the admin page, or "allowedOrigins" in the server config).`,
          );
        }
        throw error;
      }
      if (response.status === 404 && (await unknownPath(response))) {
        this.say(
          'api-path',
          'error',
          `the Halo API answered 404 for ${typeof input === 'string' ? input : 'its URL'}: it serves calls at /api/sdk/…, so apiBase ("${this.#settings.apiBase}") has a path prefix the server does not have. Set apiBase to the URL /api/sdk/ hangs under, e.g. 'https://halo.example.com'.`,
        );
      }
      if ((response.status === 404 || response.status === 405) && !isHaloErrorBody(await response.clone().text())) {
        const { apiBase } = this.#settings;
        // The SDK passes a string; a Request or URL only if a test or wrapper made one.
        const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
        const isPage = this.#apiOrigin !== null && this.#apiOrigin === pageOrigin();
        this.say(
          'api-base',
          'error',
          `HTTP ${response.status} from ${url}, and not the Halo API's JSON error: is the apiBase option set? ${
            isPage ? `apiBase is this page's own origin (${apiBase}), the default when it is left out. ` : ''
          }Pass apiBase: the URL of your Halo API, e.g. createHalo({ widgetKey, apiBase: 'https://halo.example.com' }).`,
        );
      }
      return response;
    };
  }

  /**
   * Compares the last token's `iat`/`exp` with the Halo server's clock: a token issued in its
   * future, or already past `exp` when handed over, means the signing server's clock is off.
   * Says so once; answers whether it did.
   */
  #clockHint(): boolean {
    const claims = this.#lastClaims;
    if (!claims || !this.#clock.known) return false;
    const now = this.#clock.nowSeconds();
    const minutes = (seconds: number) => `${Math.round(seconds / 60)} min`;
    if (typeof claims.iat === 'number' && claims.iat - now > 60) {
      this.say(
        'clock-ahead',
        'error',
        `the user token was issued (iat) ${minutes(claims.iat - now)} after the Halo server's current time: the clock of the server that signs tokens is ahead, and a token from the future is refused as token_invalid — the secret is not the problem. Sync that server's clock (NTP).`,
      );
      return true;
    }
    if (typeof claims.exp === 'number' && now - claims.exp > 60 && (claims.iat === undefined || now - claims.iat > 60)) {
      this.say(
        'clock-behind',
        'error',
        `the user token expired ${minutes(now - claims.exp)} before the Halo server's current time although it was just handed over: the clock of the server that signs tokens is behind (or the token is cached). Sync that server's clock (NTP) and sign a new token per request.`,
      );
      return true;
    }
    return false;
  }

  /** Stops listening to the page (shutdown). */
  close(): void {
    this.#stop?.();
    this.#stop = null;
  }

  /** A CSP violation: ours when it blocked the API, or a request while getUserToken ran or had just failed. */
  #violation(event: SecurityPolicyViolationEvent): void {
    const directive = event.effectiveDirective || event.violatedDirective || '';
    if (!directive.startsWith('connect-src') && !directive.startsWith('default-src')) return;
    const blocked = originOf(event.blockedURI);
    if (!blocked) return;
    if (blocked === this.#apiOrigin) {
      this.say(
        'csp-api',
        'error',
        `the page's Content-Security-Policy blocked the Halo API (${blocked}): add ${cspSource(blocked)} to its connect-src directive.`,
      );
    } else if (this.#tokenPending > 0 || this.#tokenFailed) {
      this.say(
        'csp-token',
        'error',
        `the page's Content-Security-Policy blocked getUserToken's request to ${blocked}: add ${cspSource(blocked)} to its connect-src directive.`,
      );
    }
  }
}

/** no-secrets-in-browser refused a value: printed by `owner` once, or every time without one (createHalo). */
export function hintSecret(owner?: Diagnostics): void {
  const text =
    'secret_exposed: never ship the identity secret to the browser; sign tokens on your server. Keep ha_secret_… in your backend, sign a JWT (HS256, user_id, exp) there and pass it as userToken or return it from getUserToken.';
  if (owner) owner.say('secret', 'error', text);
  else console.error(`[halo] ${text}`);
}

/** Runs `create` and explains the refusal of a secret in the options before it is thrown. */
export function hintThrow<T>(create: () => T): T {
  try {
    return create();
  } catch (error) {
    if ((error as HaloError | null)?.code === 'secret_exposed') hintSecret();
    throw error;
  }
}

/** warn-missing-traits, development wording: the user shows as "Anonymous" and how to name them. */
export const missingTraitsHint = (userId: string): string =>
  `[halo] user "${userId}" has no name or email trait, so your team sees "Anonymous". Pass userTraits: { name, email } to createHalo (or identify(userId, { name, email })), or sign name and email claims into the token.`;

// Pure: the production build, which never calls `hints`, drops the map too.
const registry = /* @__PURE__ */ new WeakMap<object, Diagnostics>();

/**
 * Starts the diagnostics of `owner` (a client) before it uses its options: `options.fetch` and
 * `options.getUserToken` are replaced by watched versions, and the app's `userToken` is checked.
 * Done here rather than at each place the client reads them, so the client needs one line.
 */
export function startDiagnostics(owner: object, options: DiagnosticsOptions, clock: ServerClock): Diagnostics {
  const diagnostics = new Diagnostics(options, clock);
  registry.set(owner, diagnostics);
  options.fetch = diagnostics.watchFetch(options.fetch);
  options.getUserToken = diagnostics.watch(options.getUserToken);
  diagnostics.token(options.userToken, 'userToken');
  return diagnostics;
}

/** The diagnostics of `owner`. */
export function hints(owner: object): Diagnostics | undefined {
  return registry.get(owner);
}
