// One AbortController per user session (user-switch-discards): a user switch, shutdown() or
// destroy() aborts the requests that session still has on the wire, not only on timeout; the
// next user's requests carry a signal of their own.
import { describe, expect, it } from 'vitest';
import { setupClient, tokenFor } from '../../../../test/helpers/fake-api.js';

/** A fetch that answers nothing until its request is aborted, and records every request. */
function hangingApi() {
  const requests: { call: string; body: Record<string, unknown>; signal: AbortSignal }[] = [];
  const fetch = ((input: string, init: RequestInit & { body: string; signal: AbortSignal }) => {
    const { signal } = init;
    requests.push({ call: input.slice(input.lastIndexOf('/') + 1), body: JSON.parse(init.body) as Record<string, unknown>, signal });
    return new Promise<Response>((_, reject) => {
      // What fetch does on abort: reject with the signal's reason.
      signal.addEventListener('abort', () => reject(signal.reason as Error));
    });
  }) as unknown as typeof globalThis.fetch;
  return { fetch, requests };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('a session’s requests on the wire', () => {
  it('are aborted when another user is identified; the new user’s requests are not', async () => {
    const api = hangingApi();
    const { client } = setupClient(api, { userId: 'alice', userToken: tokenFor('alice') });
    const history = client.history();
    history.catch(() => undefined);
    await settle();
    const alices = api.requests.filter((r) => r.body.user_id === 'alice');
    expect(alices.map((r) => r.call)).toEqual(expect.arrayContaining(['identify', 'history']));
    expect(alices.every((r) => !r.signal.aborted)).toBe(true);

    const switching = client.identify('bob', { name: 'Bob' }, { userToken: tokenFor('bob') });
    switching.catch(() => undefined);
    await settle();
    expect(alices.every((r) => r.signal.aborted)).toBe(true);
    await expect(history).rejects.toMatchObject({ code: 'identity_changed' });
    const bobs = api.requests.filter((r) => r.body.user_id === 'bob');
    expect(bobs.length).toBeGreaterThan(0);
    expect(bobs.every((r) => !r.signal.aborted)).toBe(true);
    client.shutdown();
  });

  it.each(['shutdown', 'destroy'] as const)('are aborted by %s()', async (end) => {
    const api = hangingApi();
    const { client } = setupClient(api, { userId: 'alice', userToken: tokenFor('alice') });
    const sent = client.sendMessage('hello');
    sent.catch(() => undefined);
    await settle();
    expect(api.requests.map((r) => r.call)).toEqual(expect.arrayContaining(['identify', 'chat']));
    client[end]();
    await expect(sent).rejects.toMatchObject({ code: 'shutdown' });
    expect(api.requests.every((r) => r.signal.aborted)).toBe(true);
  });
});
