import { invalidRequest, isHaloError } from '../errors.js';
import { DEV } from '../dev.js';
import type { TokenRejectionReason } from '../types.js';
import type { ServerClock } from './clock.js';
import { deliveryDelay, waitForNetwork, type RetryPolicy } from './delivery.js';
import type { Session } from './session.js';
import { NO_TOKEN, type TokenUse } from './token-state.js';
import { postCall, type CallResult, type SdkCall } from './transport.js';

/** What an identity-carrying call needs from its client. */
export interface CallSettings {
  fetch: typeof fetch;
  apiBase: string;
  widgetKey: string;
  retry: RetryPolicy;
  clock: ServerClock;
  /** The anonymous visitor's id (read only for anonymous calls). */
  visitorId(): string;
  /** Every answer of a live session, with the server's identity verdict. */
  answered(session: Session, result: CallResult): unknown;
}

/**
 * Refusals (403) one call survives: the first (a forced refresh), one more for a token that
 * arrived meanwhile (identify, another tab), one spare. A bound on the loop whatever the
 * branches decide, so a mistake in them fails a call instead of looping until memory runs out.
 */
const MAX_REFUSALS = 3;

/** Sleeps `ms`, or rejects with the session's reason when it ends first. */
function pause(ms: number, session: Session): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))), session.ended]).finally(() =>
    clearTimeout(timer),
  );
}

/**
 * Makes one call of the wire protocol as the session's user (or visitor), and owns
 * retry-once-on-403 end to end: the token to send (refresh-within-skew,
 * single-flight-refresh), the one forced refresh and retry after `403
 * identity_verification_failed`, and the expired episode after a second one. Transient
 * failures (network, 502/503/504, 429 with Retry-After) of `identify` and `history` are
 * retried here, `retry.attempts` times at most; a `chat` call makes one attempt and leaves
 * its transient failure to the outbox, which retries a message until it is stored
 * (delivered-exactly-once). A call of a session that ended rejects with the session's
 * reason (`identity_changed` or `shutdown`), and its request is aborted.
 */
export async function callWithIdentity(
  settings: CallSettings,
  session: Session,
  call: SdkCall,
  extra: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const { signal, tokens, userId } = session;
  let use = await tokenForCall(session);
  let retried = false;
  let refusals = 0;
  for (let attempt = 1; ; attempt++) {
    if (signal.aborted) throw signal.reason;
    const identity =
      userId === null
        ? { widget_key: settings.widgetKey, visitor_id: settings.visitorId() }
        : { widget_key: settings.widgetKey, user_id: userId, user_token: use.token ?? undefined };
    let result: CallResult;
    const request = new AbortController();
    const untrack = session.track(request);
    try {
      await waitForNetwork();
      result = await postCall(settings.fetch, settings.apiBase, call, { ...identity, ...extra }, settings.clock, request);
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      const wait = isHaloError(error) && call !== 'chat' ? deliveryDelay(error, attempt, settings.retry) : null;
      if (wait === null) throw error;
      await pause(wait, session);
      continue;
    } finally {
      untrack();
    }
    if (signal.aborted) throw signal.reason;
    settings.answered(session, result);
    if (result.ok) {
      tokens.confirmed();
      return result.data;
    }
    if (userId === null) {
      throw invalidRequest(DEV && `Visitor refused (${result.reason}).`, { status: 403, reason: result.reason });
    }
    if (++refusals > MAX_REFUSALS) throw tokens.expire(result.reason);
    use = await recover(session, use, result.reason, retried);
    retried = true;
  }
}

/**
 * The token a call should carry now, refreshing first when it must (refresh-within-skew).
 * When the refresh fails (refresh-failure-keeps-messages), a token not yet past `exp` still
 * serves; one at most 30 s past `exp` (the server's clock-tolerance), or no token at all,
 * goes out anyway and the server decides: enforce answers 403, which leads through
 * retry-once-on-403 (one forced refresh) to the expired episode; monitor and off accept it
 * unverified. A token further past `exp` is treated as refused here (the same forced
 * refresh, then the episode), and while the episode is open a call fails with its error
 * without bothering the server.
 */
export async function tokenForCall(session: Session): Promise<TokenUse> {
  const { tokens, refresher } = session;
  if (session.userId === null) return NO_TOKEN;
  const ready = tokens.usable();
  if (ready) return ready;
  // Without getUserToken the server judges whatever we have, even a token it refused.
  if (!refresher) return tokens.any();
  try {
    return await refresher.refresh(false, 0);
  } catch (error) {
    if (session.signal.aborted) throw session.signal.reason;
    // refresh-failure-keeps-messages: an older token that has not expired still serves.
    const fallback = tokens.stillValid();
    if (fallback) return fallback;
    if (tokens.expiredAt !== null) throw tokens.expire('token_refresh_failed', error);
    const stale = tokens.any();
    // Past exp by more than the server's clock-tolerance: no server in enforce takes it, so do
    // at once what its 403 would lead to — one forced refresh, then the expired episode.
    return tokens.pastTolerance ? recover(session, stale, 'token_expired', false) : stale;
  }
}

/**
 * After `403 identity_verification_failed` for `used` (retry-once-on-403): the token to
 * retry with, or `identity_expired` once the episode is declared. After one retry only a
 * token that arrived meanwhile (identify, another tab) may be tried.
 */
export async function recover(session: Session, used: TokenUse, reason: TokenRejectionReason, retried: boolean): Promise<TokenUse> {
  const { tokens, refresher, signal } = session;
  tokens.markRejected(used);
  const newer = tokens.newerThan(used);
  if (newer) return newer;
  if (retried || !refresher) throw tokens.expire(reason);
  try {
    // Forced: it must not join a refresh that started before this 403.
    return await refresher.refresh(true, used.seq);
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    // The app may have handed over a new token (identify) while the refresh failed.
    const arrived = tokens.newerThan(used);
    if (arrived) return arrived;
    throw tokens.expire('token_refresh_failed', error);
  }
}
