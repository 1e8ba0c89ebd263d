import { isStoreUnavailable } from './store-unavailable-error.js';
import { metrics } from '../ops/metrics.js';

/** How a {@link createBatcher} groups its calls. */
export interface BatcherOptions {
  /** Batches running at once; a call made while all are running waits for the next batch. */
  concurrency: number;
  /** The most calls one batch carries. */
  maxBatch: number;
}

interface Waiting<In, Out> {
  input: In;
  resolve(value: Out): void;
  reject(error: unknown): void;
}

/**
 * Group commit for a database store: calls made while `concurrency` batches are already
 * running are collected and sent together, as one statement (`run` gets them in call order and
 * answers one result per input, in the same order). Under light load a call runs at once, alone;
 * under load one round trip and one commit serve many calls — a database's throughput is its
 * per-statement and per-commit cost, not its per-row cost. A call resolves only after the batch
 * that carried it has committed, so nothing is acknowledged before it is stored.
 *
 * A batch that fails while the database is reachable is run again one call at a time, so one
 * call the database refuses fails alone instead of failing the calls batched beside it; a
 * database that is unreachable fails the whole batch at once (each caller answers 503).
 */
export function createBatcher<In, Out>(run: (inputs: In[]) => Promise<Out[]>, options: BatcherOptions): (input: In) => Promise<Out> {
  const { concurrency, maxBatch } = options;
  let queue: Waiting<In, Out>[] = [];
  let running = 0;

  const runChecked = async (inputs: In[]): Promise<Out[]> => {
    const stopTimer = metrics.storeBatchDuration.startTimer();
    metrics.storeBatchSize.observe(inputs.length);
    const results = await run(inputs).finally(stopTimer);
    if (results.length !== inputs.length) throw new Error(`batch answered ${results.length} results for ${inputs.length} calls`);
    return results;
  };

  const settle = async (batch: Waiting<In, Out>[]): Promise<void> => {
    try {
      const results = await runChecked(batch.map((call) => call.input));
      batch.forEach((call, i) => call.resolve(results[i]!));
    } catch (error) {
      if (batch.length === 1 || isStoreUnavailable(error)) {
        for (const call of batch) call.reject(error);
        return;
      }
      // Alone, each call gets its own answer: only the ones the database refuses fail. One
      // after the other, in this batch's slot, so the re-runs keep to `concurrency` too; once
      // the database is unreachable, the calls not yet re-run fail with that at once.
      let down: unknown = null;
      for (const call of batch) {
        if (down) {
          call.reject(down);
          continue;
        }
        try {
          call.resolve((await runChecked([call.input]))[0]!);
        } catch (alone) {
          if (isStoreUnavailable(alone)) down = alone;
          call.reject(alone);
        }
      }
    }
  };

  const next = (): void => {
    while (running < concurrency && queue.length > 0) {
      const batch = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch);
      queue = batch === queue ? [] : queue.slice(maxBatch);
      running += 1;
      void settle(batch).finally(() => {
        running -= 1;
        next();
      });
    }
  };

  // A batch starts after the current turn of the event loop has read every request that had
  // arrived (setImmediate runs after I/O): the calls those requests make share it. Starting at
  // the first call would send it alone — and an embedded database, which runs on this thread,
  // would then hold the loop while the others wait unread.
  let scheduled = false;
  const start = (): void => {
    scheduled = false;
    next();
  };
  return (input) =>
    new Promise<Out>((resolve, reject) => {
      queue.push({ input, resolve, reject });
      if (!scheduled && running < concurrency) {
        scheduled = true;
        setImmediate(start);
      }
    });
}
