import type { IncomingMessage } from 'node:http';
import { clientAddress, type TrustProxy } from '../http/client-address.js';
import { createRateLimiter, DEFAULT_RATE_LIMIT, type RateDecision, type RateLimitConfig } from './rate-limiter.js';

/** The rate limit of one request, in two steps around identity verification. */
export interface RequestLimiter {
  /**
   * Before verification: the client address's budget in this project. When it is spent the
   * request is refused before its token is looked at, unless it carries a token (a verified
   * user behind a busy shared address, such as an office NAT, keeps their own budget).
   */
  before(req: IncomingMessage, widgetKey: string): { address: string; decision: RateDecision };
  /**
   * After verification: a verified request spends its user's budget; every other request
   * (anonymous, verification off, a bad token in any mode) spends its address's.
   */
  after(address: string, widgetKey: string, verifiedUserId: string | null): RateDecision;
}

/**
 * The API's rate limit (on by default). Buckets live in separate pools per project and per
 * kind of key, so a flood on one project evicts nothing of another's. Only a verified
 * request spends a user's budget: a request that merely claims a `user_id` spends its
 * address's, so nobody can drain someone else's budget without their token.
 * @returns null when `rateLimit` is `false`.
 */
export function createRequestLimiter(
  rateLimit: RateLimitConfig | false | undefined,
  trustProxy: TrustProxy | undefined,
): RequestLimiter | null {
  if (rateLimit === false) return null;
  const limiter = createRateLimiter({ ...DEFAULT_RATE_LIMIT, ...rateLimit });
  return {
    before(req, widgetKey) {
      const address = clientAddress(req, trustProxy);
      return { address, decision: limiter.check(address, Date.now(), `a ${widgetKey}`) };
    },
    after(address, widgetKey, verifiedUserId) {
      return verifiedUserId === null
        ? limiter.take(address, Date.now(), `a ${widgetKey}`)
        : limiter.take(verifiedUserId, Date.now(), `u ${widgetKey}`);
    },
  };
}
