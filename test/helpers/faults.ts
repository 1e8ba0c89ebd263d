// Fault injection between the SDK and an API: dropped connections (before or after the
// server handled the request), 503 bursts, answers slower than the client's timeout, and
// requests the network delivered twice. Seeded, so a failure can be replayed.
// The PRNG is bench/prng.mjs, which the loopback fault proxy (browser tests, bench) uses too.
import { prng } from './prng.mjs';

export interface FaultCounts {
  requests: number;
  droppedBefore: number;
  droppedAfter: number;
  unavailable: number;
  slow: number;
  duplicated: number;
}

export interface FaultPlan {
  seed: number;
  dropRate: number; // share of requests whose connection drops
  burstEvery: number; // a 503 burst starts on every Nth request
  burstLength: number;
  slowRate: number; // answered after `slowMs`
  slowMs: number;
  duplicateRate: number; // the server receives the request twice
}

/** Wraps `upstream` (a fetch to the real or fake API) with the faults of `plan`. */
export function faultyFetch(upstream: typeof fetch, plan: FaultPlan) {
  const random = prng(plan.seed);
  const counts: FaultCounts = { requests: 0, droppedBefore: 0, droppedAfter: 0, unavailable: 0, slow: 0, duplicated: 0 };
  let burstLeft = 0;
  const fetchWithFaults = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    counts.requests++;
    if (counts.requests % plan.burstEvery === 0) burstLeft = plan.burstLength;
    if (burstLeft > 0) {
      burstLeft--;
      counts.unavailable++;
      return new Response(JSON.stringify({ error: { code: 'internal_error', message: 'unavailable' } }), {
        status: 503,
        headers: { 'Content-Type': 'application/json' },
      });
    }
    const roll = random();
    if (roll < plan.dropRate / 2) {
      counts.droppedBefore++;
      throw new TypeError('Failed to fetch (connection reset before the request arrived)');
    }
    if (random() < plan.duplicateRate) {
      counts.duplicated++;
      await upstream(input, { ...init, signal: undefined });
    }
    const response = await upstream(input, { ...init, signal: undefined });
    if (roll < plan.dropRate) {
      counts.droppedAfter++;
      throw new TypeError('Failed to fetch (connection reset after the server answered)');
    }
    if (random() < plan.slowRate) {
      counts.slow++;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, plan.slowMs);
        init?.signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(new DOMException('The operation was aborted.', 'AbortError'));
        });
      });
    }
    return response;
  };
  return { fetch: fetchWithFaults as typeof fetch, counts };
}
