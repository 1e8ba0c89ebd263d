import type { IncomingMessage } from 'node:http';
import { clientAddress, type TrustProxy } from '../http/client-address.js';
import { ApiError } from '../http/http.js';
import { createRateLimiter, DEFAULT_RATE_LIMIT, type RateDecision, type RateLimitConfig, type RateLimiter } from './rate-limiter.js';

/** A budget of one kind of key: `burst` requests at once, refilled at `perSecond`. */
export interface RateBudget {
  burst: number;
  perSecond: number;
}

/**
 * The per-address budget of unverified and anonymous requests when neither `rateLimit.burst`
 * nor `rateLimit.perAddress` is set: sized for a few hundred people behind one office NAT
 * (a page load each at once, then a request every 30 s each), while one address cannot
 * flood. See docs/security.md, "Rate-limit budgets".
 */
export const DEFAULT_ADDRESS_BUDGET: RateBudget = { burst: 300, perSecond: 10 };

/**
 * Bodies a client whose address has spent its budget may still send, so a verified user
 * behind a busy shared address is still read (a chat with traits fits): anything larger, or
 * without a declared length, is refused before a byte of it is read.
 */
export const SPENT_ADDRESS_BODY_BYTES = 8 * 1024;

/** What the limiter needs of a project: its key. */
export interface LimitedProject {
  widgetKey: string;
}

/**
 * The rate limit of the API, all of it (one owner): every request is charged to its client
 * address or, once its token verifies, to its user. Used by the API in three steps.
 */
export interface RequestLimiter {
  /**
   * Before the body is read: the client address, and 429 when its budget is spent and the
   * request would cost work anyway — a path, method or content type that is refused, or a
   * body larger than {@link SPENT_ADDRESS_BODY_BYTES} (or of unknown length).
   */
  admit(req: IncomingMessage, willBeRefused: boolean): string;
  /**
   * Before the token is looked at: 429 when the address's budget (in the project, and for
   * refusals) is spent and the request brings no token that may verify.
   */
  beforeToken(address: string, project: LimitedProject, hasToken: boolean): void;
  /**
   * After the verdict: a verified request spends its user's budget, any other its address's
   * budget in the project. 429 when the budget is spent.
   */
  afterVerdict(address: string, project: LimitedProject, verifiedUserId: string | null): void;
  /**
   * A refused request (any 4xx but a 429, before a verdict) spends its address's budget.
   * Answers the 429 to send instead once that budget is spent (the refusal's work is done, but
   * its answer then tells nothing: no 401 for a guessed widget key, no 400 for a probe), else null.
   */
  refused(address: string): ApiError | null;
}

/** The 429 of a spent budget; says nothing of the token. */
export const rateLimited = (decision: Extract<RateDecision, { ok: false }>): ApiError =>
  new ApiError(429, 'rate_limited', 'Too many requests; try again later.', undefined, {
    'Retry-After': String(decision.retryAfterSeconds),
  });

function budgetOf(name: string, value: RateBudget | undefined): RateBudget | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || !(value.burst >= 1) || !(value.perSecond > 0))
    throw new TypeError(`${name} must be { burst ≥ 1, perSecond > 0 }.`);
  return value;
}

/**
 * The API's rate limit (on by default). Buckets live in separate pools per project and per
 * kind of key, so a flood on one project evicts nothing of another's; refusals that name no
 * project (404, 415, an unknown widget key) spend a pool of their own. Only a verified
 * request spends a user's budget: a request that merely claims a `user_id` spends its
 * address's, so nobody can drain someone else's budget without their token, and nobody at a
 * shared address (a NAT) can drain a verified user's.
 * @returns null when `rateLimit` is `false`.
 */
export function createRequestLimiter(
  rateLimit: RateLimitConfig | false | undefined,
  trustProxy: TrustProxy | undefined,
): RequestLimiter | null {
  if (rateLimit === false) return null;
  const maxKeys = rateLimit?.maxKeys ?? DEFAULT_RATE_LIMIT.maxKeys;
  const users = createRateLimiter({ ...DEFAULT_RATE_LIMIT, ...rateLimit });
  // An explicit burst/perSecond without perAddress keeps its meaning of old: the same budget for both kinds of key.
  const explicit = rateLimit?.burst !== undefined || rateLimit?.perSecond !== undefined;
  const addressBudget =
    budgetOf('rateLimit.perAddress', rateLimit?.perAddress) ??
    (explicit
      ? { burst: rateLimit?.burst ?? DEFAULT_RATE_LIMIT.burst, perSecond: rateLimit?.perSecond ?? DEFAULT_RATE_LIMIT.perSecond }
      : DEFAULT_ADDRESS_BUDGET);
  const addresses = createRateLimiter({ ...addressBudget, maxKeys });
  // Projects with a budget of their own get a limiter each, made at start (the pools inside are per project anyway).
  const perProject = new Map<string, RateLimiter>();
  for (const [widgetKey, own] of Object.entries(rateLimit?.projects ?? {})) {
    const budget = budgetOf(`rateLimit.projects.${widgetKey}.perAddress`, own?.perAddress);
    if (budget) perProject.set(widgetKey, createRateLimiter({ ...budget, maxKeys }));
  }
  const addressLimiter = (project: LimitedProject): RateLimiter => perProject.get(project.widgetKey) ?? addresses;
  const REFUSALS = 'refused';
  const pool = (project: LimitedProject) => `a ${project.widgetKey}`;
  return {
    admit(req, willBeRefused) {
      const address = clientAddress(req, trustProxy);
      const decision = addresses.check(address, Date.now(), REFUSALS);
      if (decision.ok) return address;
      const declared = Number(req.headers['content-length']);
      const small = Number.isFinite(declared) && declared <= SPENT_ADDRESS_BODY_BYTES && req.headers['transfer-encoding'] === undefined;
      if (willBeRefused || !small) throw rateLimited(decision);
      return address;
    },
    beforeToken(address, project, hasToken) {
      if (hasToken) return;
      const now = Date.now();
      const refusals = addresses.check(address, now, REFUSALS);
      if (!refusals.ok) throw rateLimited(refusals);
      const decision = addressLimiter(project).check(address, now, pool(project));
      if (!decision.ok) throw rateLimited(decision);
    },
    afterVerdict(address, project, verifiedUserId) {
      const decision =
        verifiedUserId === null
          ? addressLimiter(project).take(address, Date.now(), pool(project))
          : users.take(verifiedUserId, Date.now(), `u ${project.widgetKey}`);
      if (!decision.ok) throw rateLimited(decision);
    },
    refused(address) {
      const decision = addresses.take(address, Date.now(), REFUSALS);
      return decision.ok ? null : rateLimited(decision);
    },
  };
}
