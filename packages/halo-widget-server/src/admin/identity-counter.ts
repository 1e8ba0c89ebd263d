import {
  REPORT_RETENTION_MS,
  USERS_PER_BUCKET,
  VERSIONS_PER_BUCKET,
  type AdminStore,
  type IdentityBatch,
  type IdentityResult,
} from './admin-store.js';

const HOUR = 3600_000;
/**
 * The width of a counted bucket (stored in the `hour` column: its start). Five minutes, so the
 * report's windows roll (a window of N hours covers N hours to N hours and 5 minutes) instead
 * of keeping a test request in "1h" for up to two hours.
 */
export const BUCKET_MS = 300_000;
/** Batches a failed flush keeps for the next one; past it the oldest are dropped (each failure is reported). */
const MAX_PENDING = 500;
/** Flushes a batch that fails on its own is retried in (about 5 minutes at the default 10 s), then dropped and reported. */
const MAX_ATTEMPTS = 30;
/**
 * Distinct user ids one client address may add to a result's ids in an hour (verified ones
 * aside): 250 junk token-less ids from 10 addresses once filled the `token_missing` examples
 * and their 200-id cap, hiding the real users behind them.
 */
const IDS_PER_ADDRESS = 3;
// What a user id or SDK version must not hold to be written: a NUL (PostgreSQL refuses it) or a lone surrogate.
// eslint-disable-next-line no-control-regex -- a NUL is what is matched
const UNWRITABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Options of {@link createIdentityCounter}. */
export interface IdentityCounterOptions {
  /** How often counts are written. @default 10_000 ms */
  flushMs?: number;
  /** @default Date.now */
  now?: () => number;
  /** A flush that failed (its counts are kept for the next one). @default console.error */
  onError?: (error: unknown) => void;
}

/** Counts `Halo-Identity` results in memory and writes them to the store in batches. */
export interface IdentityCounter {
  /** Counts one request: a few map operations, no I/O, never throws. */
  record: (widgetKey: string, result: IdentityResult, userId: string | null, sdkVersion: string, address?: string) => void;
  /** Writes what was counted so far (and prunes buckets past the retention once an hour). */
  flush: () => Promise<void>;
  /** Stops the timer and flushes. */
  close: () => Promise<void>;
}

interface Tally {
  hour: number;
  counts: Partial<Record<IdentityResult, number>>;
  users: Partial<Record<IdentityResult, Set<string>>>;
  versions: Map<string, number>;
  /** Ids added per `result address` (bounded: only an id that enters a capped set counts). */
  byAddress: Map<string, number>;
}

function toBatch(widgetKey: string, tally: Tally): IdentityBatch {
  const users: IdentityBatch['users'] = {};
  for (const [result, set] of Object.entries(tally.users) as [IdentityResult, Set<string>][]) users[result] = [...set];
  return { widgetKey, hour: tally.hour, counts: tally.counts, users, versions: Object.fromEntries(tally.versions) };
}

/**
 * The rollout report's counter. The chat path only increments maps held per project and
 * hour; a timer (unref'd) writes them every `flushMs`, so counting never waits on the
 * database. What a failed write held is retried with the next flush.
 */
export function createIdentityCounter(store: AdminStore, options: IdentityCounterOptions = {}): IdentityCounter {
  const now = options.now ?? Date.now;
  const onError = options.onError ?? ((error: unknown) => console.error('[halo] could not write the identity report counts:', error));
  let current = new Map<string, Tally>();
  let pending: IdentityBatch[] = [];
  let prunedHour = 0;
  let flushing: Promise<void> | null = null;

  // Failed flushes per batch (a batch object lives until it is written or dropped).
  const attempts = new WeakMap<IdentityBatch, number>();

  function record(widgetKey: string, result: IdentityResult, rawUserId: string | null, rawSdkVersion: string, address?: string): void {
    // The edge refuses such ids (storable-text); replaced here too, so a caller that skips it
    // cannot make a batch the database refuses.
    const userId = rawUserId === null ? null : rawUserId.replace(UNWRITABLE, '\ufffd');
    const sdkVersion = rawSdkVersion.replace(UNWRITABLE, '\ufffd');
    const at = now();
    const hour = at - (at % BUCKET_MS);
    let tally = current.get(widgetKey);
    if (!tally || tally.hour !== hour) {
      // A new bucket: the finished one waits for the next flush.
      if (tally) pending.push(toBatch(widgetKey, tally));
      tally = { hour, counts: {}, users: {}, versions: new Map(), byAddress: new Map() };
      current.set(widgetKey, tally);
    }
    tally.counts[result] = (tally.counts[result] ?? 0) + 1;
    if (userId !== null) {
      const set = (tally.users[result] ??= new Set());
      if (set.size < USERS_PER_BUCKET && !set.has(userId)) {
        // A verified id is authenticated; any other is what a client chose to send.
        const key = result === 'verified' || address === undefined ? null : `${result} ${address}`;
        const added = key === null ? 0 : (tally.byAddress.get(key) ?? 0);
        if (added < IDS_PER_ADDRESS) {
          set.add(userId);
          if (key !== null) tally.byAddress.set(key, added + 1);
        }
      }
    }
    const version = tally.versions.has(sdkVersion) || tally.versions.size < VERSIONS_PER_BUCKET ? sdkVersion : 'other';
    tally.versions.set(version, (tally.versions.get(version) ?? 0) + 1);
  }

  async function write(): Promise<void> {
    const batches = pending;
    for (const [widgetKey, tally] of current) batches.push(toBatch(widgetKey, tally));
    current = new Map();
    pending = [];
    if (batches.length) {
      try {
        await store.addIdentityBatches(batches);
      } catch (error) {
        onError(error);
        // One batch the database refuses must not hold the others back (it once stopped the
        // counting of every project): each is written on its own, and only the failing ones wait.
        const failed = await writeOneByOne(batches);
        pending = [...failed, ...pending].slice(-MAX_PENDING);
        if (failed.length) return;
      }
    }
    const at = now();
    const hour = at - (at % HOUR);
    if (hour !== prunedHour) {
      prunedHour = hour;
      try {
        await store.pruneIdentity(hour - REPORT_RETENTION_MS);
      } catch (error) {
        prunedHour = 0;
        onError(error);
      }
    }
  }

  /** Writes each batch in its own transaction; answers those that failed and may be retried. */
  async function writeOneByOne(batches: IdentityBatch[]): Promise<IdentityBatch[]> {
    const failed: IdentityBatch[] = [];
    for (const batch of batches) {
      try {
        await store.addIdentityBatches([batch]);
      } catch (error) {
        const tries = (attempts.get(batch) ?? 0) + 1;
        if (tries >= MAX_ATTEMPTS) {
          onError(
            new Error(
              `dropped the identity counts of ${batch.widgetKey} for ${new Date(batch.hour).toISOString()} after ${tries} failed writes`,
              { cause: error },
            ),
          );
          continue;
        }
        attempts.set(batch, tries);
        failed.push(batch);
      }
    }
    return failed;
  }

  // One flush at a time; a flush asked for during one runs after it, so it sees every count made before the call.
  const flush = (): Promise<void> => {
    const run = (flushing ?? Promise.resolve()).then(write);
    flushing = run.finally(() => {
      if (flushing === settled) flushing = null;
    });
    const settled = flushing;
    return run;
  };

  const timer = setInterval(() => void flush(), options.flushMs ?? 10_000);
  timer.unref();
  return {
    record,
    flush,
    close: async () => {
      clearInterval(timer);
      await flush();
    },
  };
}
