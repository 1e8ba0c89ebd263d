// The rollout report: what the counter records per request, how windows, distinct users and
// the verdict are computed, and that storage stays bounded.
import { describe, expect, it } from 'vitest';
import { USERS_PER_BUCKET, VERSIONS_PER_BUCKET, type AdminStore } from '../../src/admin/admin-store.js';
import { createIdentityCounter } from '../../src/admin/identity-counter.js';
import { buildIdentityReport } from '../../src/admin/identity-report.js';
import { createMemoryAdminStore } from '../../src/admin/memory-admin-store.js';

const HOUR = 3600_000;
const T0 = Date.UTC(2026, 11, 1, 12, 30);
const KEY = 'ab_live_report';

async function reportAt(store: AdminStore, now: number, mode: 'monitor' | 'enforce' = 'monitor') {
  return buildIdentityReport(KEY, mode, await store.readIdentity(KEY, 0), now, USERS_PER_BUCKET);
}

describe('the identity counter and report', () => {
  it('counts each result, distinct users with examples, SDK versions and the share enforce would refuse', async () => {
    const store = createMemoryAdminStore();
    const counter = createIdentityCounter(store, { now: () => T0, flushMs: 3_600_000 });
    for (const user of ['u1', 'u2', 'u1']) counter.record(KEY, 'verified', user, 'unknown');
    for (const user of ['u3', 'u3', 'u4']) counter.record(KEY, 'token_expired', user, 'halo-widget/0.1.0');
    counter.record(KEY, 'token_missing', 'u5', 'unknown');
    counter.record(KEY, 'anonymous', null, 'unknown');
    await counter.close();
    const window = (await reportAt(store, T0)).windows['24h'];
    const seen = new Date(T0 - (T0 % 300_000)).toISOString();
    expect(window.results.verified).toEqual({ requests: 3, users: 2, usersCapped: false, examples: ['u1', 'u2'], lastSeen: seen });
    expect(window.results.token_expired).toEqual({ requests: 3, users: 2, usersCapped: false, examples: ['u3', 'u4'], lastSeen: seen });
    expect(window.results.anonymous).toMatchObject({ requests: 1, users: 0 });
    expect(window.identifiedRequests).toBe(7);
    expect(window.wouldReject).toBe(4);
    expect(window.rejectShare).toBeCloseTo(4 / 7);
    expect(window.sdkVersions).toEqual({ unknown: 5, 'halo-widget/0.1.0': 3 });
    // The reason with the most users blocks, with its fix.
    expect(window.verdict).toEqual({
      safe: false,
      blocking: 'token_expired',
      text: expect.stringContaining('2 users send expired tokens: wire getUserToken'),
    });
  });

  it('says "safe to enforce" when every identified request verified, and not when nothing was identified', async () => {
    const store = createMemoryAdminStore();
    const counter = createIdentityCounter(store, { now: () => T0 });
    counter.record(KEY, 'anonymous', null, 'unknown');
    await counter.flush();
    expect((await reportAt(store, T0)).windows['1h'].verdict).toMatchObject({
      safe: false,
      blocking: null,
      text: expect.stringContaining('No identified requests'),
    });
    counter.record(KEY, 'verified', 'u1', 'unknown');
    await counter.close();
    expect((await reportAt(store, T0)).windows['1h'].verdict).toEqual({
      safe: true,
      blocking: null,
      text: 'Safe to enforce: every identified user presented a valid token.',
    });
  });

  it('asks for monitor when verification is off, since nothing was measured', async () => {
    const store = createMemoryAdminStore();
    const counter = createIdentityCounter(store, { now: () => T0 });
    counter.record(KEY, 'verification_off', 'u1', 'unknown');
    await counter.close();
    expect((await reportAt(store, T0)).windows['24h'].verdict).toMatchObject({ safe: false, blocking: 'verification_off' });
  });

  it('keeps hour buckets apart: an old failure leaves the last hour but stays in 24 h and 7 days', async () => {
    const store = createMemoryAdminStore();
    let now = T0 - 30 * HOUR;
    const counter = createIdentityCounter(store, { now: () => now });
    counter.record(KEY, 'user_mismatch', 'old', 'unknown');
    now = T0 - 5 * HOUR;
    counter.record(KEY, 'token_expired', 'mid', 'unknown');
    now = T0;
    counter.record(KEY, 'verified', 'new', 'unknown');
    await counter.close();
    const report = await reportAt(store, T0);
    expect(report.windows['1h'].verdict.safe).toBe(true);
    expect(report.windows['24h'].verdict.blocking).toBe('token_expired');
    expect(report.windows['7d'].results.user_mismatch.requests).toBe(1);
    expect(report.windows['24h'].results.user_mismatch.requests).toBe(0);
  });

  it('rolls its windows: a failed request 65 minutes ago has left "1h" (an hour-aligned window kept it up to 2 h), and shows when it was last seen', async () => {
    const store = createMemoryAdminStore();
    let now = T0 - 65 * 60_000;
    const counter = createIdentityCounter(store, { now: () => now });
    counter.record(KEY, 'token_missing', 'tester', 'unknown');
    now = T0 - 10 * 60_000;
    counter.record(KEY, 'verified', 'u1', 'unknown');
    now = T0;
    await counter.close();
    const report = await reportAt(store, T0);
    expect(report.windows['1h'].results.token_missing.requests).toBe(0);
    expect(report.windows['1h'].verdict.safe).toBe(true);
    expect(report.windows['24h'].verdict.blocking).toBe('token_missing');
    expect(report.windows['24h'].results.token_missing.lastSeen).toBe(
      new Date(T0 - 65 * 60_000 - ((T0 - 65 * 60_000) % 300_000)).toISOString(),
    );
    expect(report.windows['24h'].results.user_mismatch.lastSeen).toBeNull();
  });

  it('bases "safe" on users who never presented a valid token: forged tokens are reported apart as likely attacks', async () => {
    const store = createMemoryAdminStore();
    const counter = createIdentityCounter(store, { now: () => T0 });
    for (const user of ['u1', 'u2']) counter.record(KEY, 'verified', user, 'unknown');
    // u1 once had an expired token (the SDK refreshes): not locked out by enforce.
    counter.record(KEY, 'token_expired', 'u1', 'unknown');
    for (const user of ['admin', 'root', 'u2']) counter.record(KEY, 'token_invalid', user, 'unknown');
    counter.record(KEY, 'user_mismatch', 'ceo', 'unknown');
    await counter.close();
    const window = (await reportAt(store, T0)).windows['1h'];
    expect(window.likelyAttacks).toEqual({ users: 3, examples: ['admin', 'ceo', 'root'] });
    expect(window.verdict).toMatchObject({ safe: true, text: expect.stringContaining('3 user ids came with forged-looking tokens') });
  });

  it('still blocks on invalid tokens while no user verifies at all (the secret is wrong, not an attack)', async () => {
    const store = createMemoryAdminStore();
    const counter = createIdentityCounter(store, { now: () => T0 });
    for (const user of ['u1', 'u2']) counter.record(KEY, 'token_invalid', user, 'unknown');
    await counter.close();
    const window = (await reportAt(store, T0)).windows['1h'];
    expect(window.likelyAttacks.users).toBe(0);
    expect(window.verdict).toMatchObject({ safe: false, blocking: 'token_invalid' });
  });

  it('does not count requests made while verification was off as identified traffic', async () => {
    const store = createMemoryAdminStore();
    const counter = createIdentityCounter(store, { now: () => T0 });
    for (const user of ['u1', 'u2', 'u3']) counter.record(KEY, 'verification_off', user, 'unknown');
    counter.record(KEY, 'verified', 'u4', 'unknown');
    counter.record(KEY, 'token_missing', 'u5', 'unknown');
    await counter.close();
    const window = (await reportAt(store, T0)).windows['1h'];
    expect(window.identifiedRequests).toBe(2);
    expect(window.rejectShare).toBeCloseTo(1 / 2);
  });

  it('drops hour buckets older than 7 days when it flushes', async () => {
    const store = createMemoryAdminStore();
    let now = T0 - 8 * 24 * HOUR;
    const counter = createIdentityCounter(store, { now: () => now });
    counter.record(KEY, 'verified', 'u1', 'unknown');
    await counter.flush();
    expect((await store.readIdentity(KEY, 0)).counts).toHaveLength(1);
    now = T0;
    await counter.close();
    expect((await store.readIdentity(KEY, 0)).counts).toHaveLength(0);
  });

  it('keeps at most a bounded number of user ids and SDK versions per bucket, and says "at least"', async () => {
    const store = createMemoryAdminStore();
    const counter = createIdentityCounter(store, { now: () => T0 });
    for (let i = 0; i < USERS_PER_BUCKET + 50; i++) counter.record(KEY, 'token_missing', `user${i}`, `v${i}`);
    await counter.close();
    const rows = await store.readIdentity(KEY, 0);
    expect(rows.users).toHaveLength(USERS_PER_BUCKET);
    expect(rows.versions).toHaveLength(VERSIONS_PER_BUCKET + 1);
    expect(rows.versions.find((v) => v.version === 'other')!.count).toBe(USERS_PER_BUCKET + 50 - VERSIONS_PER_BUCKET);
    const line = (await reportAt(store, T0)).windows['1h'].results.token_missing;
    expect(line).toMatchObject({ requests: USERS_PER_BUCKET + 50, users: USERS_PER_BUCKET, usersCapped: true });
    expect(line.examples).toHaveLength(5);
    expect((await reportAt(store, T0)).windows['1h'].verdict.text).toContain(`at least ${USERS_PER_BUCKET} users send no token`);
  });

  it('keeps the counts of a failed write for the next flush and reports the failure', async () => {
    const store = createMemoryAdminStore();
    const failures: unknown[] = [];
    let fail = true;
    const flaky: AdminStore = {
      ...store,
      addIdentityBatches: async (batches) => {
        if (fail) throw new Error('database down');
        return store.addIdentityBatches(batches);
      },
    };
    const counter = createIdentityCounter(flaky, { now: () => T0, onError: (error) => failures.push(error) });
    counter.record(KEY, 'verified', 'u1', 'unknown');
    await counter.flush();
    expect(failures).toHaveLength(1);
    counter.record(KEY, 'verified', 'u2', 'unknown');
    fail = false;
    await counter.close();
    expect((await reportAt(store, T0)).windows['1h'].results.verified).toMatchObject({ requests: 2, users: 2 });
  });
});
