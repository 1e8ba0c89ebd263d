import { ApiError } from '../http/http.js';
import { safeLog } from '../ops/safe-log.js';
import type { HaloLogger } from '../types.js';

/** Seconds a client is asked to wait while the database is unavailable. */
export const OUTAGE_RETRY_AFTER_SECONDS = 2;
const QUIET_MS = 10_000;

/** The answer while the database is unavailable: 503, retried by the SDK like any transient failure. */
export const unavailableAnswer = (): ApiError =>
  new ApiError(503, 'service_unavailable', 'The service is briefly unavailable; try again shortly.', undefined, {
    'Retry-After': String(OUTAGE_RETRY_AFTER_SECONDS),
  });

/**
 * Logs why requests are answered 503, without flooding the log during an outage: the cause
 * at once, then at most one line per 10 s with how many requests were refused meanwhile.
 * The cause's message is the store's own (a StoreUnavailableError never holds a password).
 */
export function createOutageReporter(logger: HaloLogger): (cause: Error) => void {
  let lastLogged = 0;
  let refused = 0;
  return (cause) => {
    refused++;
    const now = Date.now();
    if (now - lastLogged < QUIET_MS) return;
    const count = refused;
    refused = 0;
    lastLogged = now;
    safeLog(logger, 'error', () => [`[halo] answering 503: ${cause.message} (${count} request(s) refused since the last line)`]);
  };
}
