// Group commit, as a unit: the batcher is driven by fake `run` functions that record what each
// batch carried and answer when the test says so (no timing, only turns of the event loop).
import { describe, expect, it } from 'vitest';
import { createBatcher } from '../../src/store/batcher.js';
import { StoreUnavailableError } from '../../src/store/store-unavailable-error.js';

/** One turn of the event loop: a batch started by setImmediate has started after it. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A `run` whose batches stay open until the test settles them; it records every batch. */
function heldRun() {
  const batches: { inputs: string[]; answer(): void }[] = [];
  let active = 0;
  let most = 0;
  const run = (inputs: string[]) =>
    new Promise<string[]>((resolve) => {
      active += 1;
      most = Math.max(most, active);
      batches.push({
        inputs,
        answer: () => {
          active -= 1;
          resolve(inputs.map((input) => `done ${input}`));
        },
      });
    });
  return { run, batches, most: () => most };
}

const settled = <T>(promise: Promise<T>) => {
  const state = { done: false };
  void promise.then(
    () => (state.done = true),
    () => (state.done = true),
  );
  return state;
};

describe('createBatcher', () => {
  it('sends the calls made in one turn as one batch, in call order, and answers each call its own result', async () => {
    const seen: string[][] = [];
    const call = createBatcher(async (inputs: string[]) => (seen.push(inputs), inputs.map((input) => input.toUpperCase())), {
      concurrency: 2,
      maxBatch: 10,
    });
    const answers = await Promise.all([call('a'), call('b'), call('c')]);
    expect(seen).toEqual([['a', 'b', 'c']]);
    expect(answers).toEqual(['A', 'B', 'C']);
  });

  it('resolves a call only after the run of its batch has resolved', async () => {
    const held = heldRun();
    const call = createBatcher(held.run, { concurrency: 1, maxBatch: 10 });
    const answer = call('a');
    const state = settled(answer);
    await turn();
    await turn();
    expect(held.batches).toHaveLength(1);
    expect(state.done).toBe(false);
    held.batches[0]!.answer();
    await expect(answer).resolves.toBe('done a');
  });

  it('never runs more than `concurrency` batches at once, and the calls made meanwhile go together in the next batch', async () => {
    const held = heldRun();
    const call = createBatcher(held.run, { concurrency: 2, maxBatch: 10 });
    const first = call('1');
    await turn();
    const second = call('2');
    await turn();
    expect(held.batches.map((batch) => batch.inputs)).toEqual([['1'], ['2']]);
    // Both slots are taken: these wait, across several turns, for a slot.
    const later = [call('3')];
    await turn();
    later.push(call('4'), call('5'));
    await turn();
    expect(held.batches).toHaveLength(2);
    held.batches[0]!.answer();
    await expect(first).resolves.toBe('done 1');
    await turn();
    expect(held.batches.map((batch) => batch.inputs)).toEqual([['1'], ['2'], ['3', '4', '5']]);
    held.batches[1]!.answer();
    held.batches[2]!.answer();
    await expect(second).resolves.toBe('done 2');
    await expect(Promise.all(later)).resolves.toEqual(['done 3', 'done 4', 'done 5']);
    expect(held.most()).toBe(2);
  });

  it('splits the calls of one turn into batches of at most `maxBatch`, still at most `concurrency` at once', async () => {
    const held = heldRun();
    const call = createBatcher(held.run, { concurrency: 2, maxBatch: 2 });
    const answers = Promise.all(['a', 'b', 'c', 'd', 'e'].map(call));
    await turn();
    expect(held.batches.map((batch) => batch.inputs)).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
    held.batches[0]!.answer();
    held.batches[1]!.answer();
    await turn();
    expect(held.batches.map((batch) => batch.inputs)).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    held.batches[2]!.answer();
    await expect(answers).resolves.toEqual(['done a', 'done b', 'done c', 'done d', 'done e']);
    expect(held.most()).toBe(2);
  });

  it('fails only the call the database refuses: a failed batch is run again one call at a time', async () => {
    const seen: string[][] = [];
    const call = createBatcher(
      async (inputs: string[]) => {
        seen.push(inputs);
        if (inputs.includes('bad')) throw new Error('refused: bad');
        return inputs.map((input) => input.toUpperCase());
      },
      { concurrency: 1, maxBatch: 10 },
    );
    const answers = await Promise.allSettled([call('a'), call('bad'), call('c')]);
    expect(answers).toEqual([
      { status: 'fulfilled', value: 'A' },
      { status: 'rejected', reason: new Error('refused: bad') },
      { status: 'fulfilled', value: 'C' },
    ]);
    expect(seen).toEqual([['a', 'bad', 'c'], ['a'], ['bad'], ['c']]);
  });

  it('runs the calls of a failed batch again one at a time, still never more than `concurrency` runs at once', async () => {
    const seen: string[][] = [];
    let active = 0;
    let most = 0;
    const call = createBatcher(
      async (inputs: string[]) => {
        seen.push(inputs);
        most = Math.max(most, ++active);
        await turn();
        active -= 1;
        if (inputs.includes('bad')) throw new Error('refused: bad');
        return inputs;
      },
      { concurrency: 1, maxBatch: 10 },
    );
    const answers = await Promise.allSettled(['a', 'bad', 'c', 'd'].map(call));
    expect(answers.map((answer) => answer.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(seen).toEqual([['a', 'bad', 'c', 'd'], ['a'], ['bad'], ['c'], ['d']]);
    expect(most).toBe(1);
  });

  it('fails every call of a batch with StoreUnavailableError at once, without running any again', async () => {
    let runs = 0;
    const down = new StoreUnavailableError('database unavailable (ECONNREFUSED)');
    const call = createBatcher(
      async (_inputs: string[]): Promise<string[]> => {
        runs += 1;
        throw down;
      },
      { concurrency: 1, maxBatch: 10 },
    );
    const answers = await Promise.allSettled([call('a'), call('b'), call('c')]);
    expect(answers).toEqual([0, 1, 2].map(() => ({ status: 'rejected', reason: down })));
    expect(runs).toBe(1);
  });

  it('fails the calls not yet run again with StoreUnavailableError at once when the database goes away during the re-runs', async () => {
    const seen: string[][] = [];
    const down = new StoreUnavailableError('database unavailable (ECONNRESET)');
    const call = createBatcher(
      async (inputs: string[]) => {
        seen.push(inputs);
        if (inputs.length > 1) throw new Error('refused');
        if (inputs[0] === 'b') throw down;
        return inputs;
      },
      { concurrency: 1, maxBatch: 10 },
    );
    const answers = await Promise.allSettled(['a', 'b', 'c', 'd'].map(call));
    expect(answers).toEqual([{ status: 'fulfilled', value: 'a' }, ...[1, 2, 3].map(() => ({ status: 'rejected', reason: down }))]);
    expect(seen).toEqual([['a', 'b', 'c', 'd'], ['a'], ['b']]);
  });

  it('rejects the calls of a run that answers a different number of results than it got calls', async () => {
    const tooFew = createBatcher(async (inputs: string[]) => inputs.slice(1), { concurrency: 1, maxBatch: 10 });
    const tooMany = createBatcher(async (inputs: string[]) => [...inputs, 'extra'], { concurrency: 1, maxBatch: 10 });
    for (const call of [tooFew, tooMany]) {
      const answers = await Promise.allSettled([call('a'), call('b')]);
      expect(answers.map((answer) => answer.status)).toEqual(['rejected', 'rejected']);
      expect(String((answers[0] as PromiseRejectedResult).reason)).toMatch(/results for 1 calls/);
    }
  });
});
