// Issue 27: a batch the database refuses must never block the batches after it.
import { describe, expect, it } from 'vitest';
import { createIdentityCounter } from '../../src/admin/identity-counter.js';
import { createMemoryAdminStore } from '../../src/admin/memory-admin-store.js';
import type { IdentityBatch } from '../../src/admin/admin-store.js';

describe('the identity counter', () => {
  it('writes every other project’s counts when one batch is refused, and keeps only that one for retry', async () => {
    const store = createMemoryAdminStore();
    const written: string[] = [];
    const add = store.addIdentityBatches.bind(store);
    // A database that refuses any transaction holding the poisoned project's batch.
    store.addIdentityBatches = async (batches: IdentityBatch[]) => {
      if (batches.some((b) => b.widgetKey === 'poisoned')) throw new Error('invalid byte sequence for encoding "UTF8": 0x00');
      written.push(...batches.map((b) => b.widgetKey));
      return add(batches);
    };
    const errors: unknown[] = [];
    const counter = createIdentityCounter(store, { flushMs: 3_600_000, onError: (e) => errors.push(e) });
    counter.record('poisoned', 'token_missing', 'x', 'unknown');
    counter.record('healthy', 'verified', 'alice', 'unknown');
    await counter.flush();
    expect(written).toEqual(['healthy']);
    counter.record('healthy', 'verified', 'bob', 'unknown');
    await counter.flush();
    expect(written).toEqual(['healthy', 'healthy']);
    expect(errors.length).toBeGreaterThan(0);
    await counter.close();
  });

  it('replaces a NUL or a lone surrogate in what it counts, so what it writes is always storable', async () => {
    const store = createMemoryAdminStore();
    const seen: IdentityBatch[] = [];
    const add = store.addIdentityBatches.bind(store);
    store.addIdentityBatches = async (batches: IdentityBatch[]) => {
      seen.push(...batches);
      return add(batches);
    };
    const counter = createIdentityCounter(store, { flushMs: 3_600_000 });
    counter.record('k', 'token_missing', 'x\u0000y\ud800', 'sdk\u0000');
    await counter.flush();
    expect(seen[0]!.users.token_missing).toEqual(['x\ufffdy\ufffd']);
    expect(Object.keys(seen[0]!.versions)).toEqual(['sdk\ufffd']);
    await counter.close();
  });
});
