// @vitest-environment happy-dom
// The live channel once the user's session has ended (docs/protocol.md "channel-follows-token",
// "channel-closed-while-expired"): a stream the server ends at its token's exp is not reopened with
// that token, and after onIdentityExpired no channel request goes out — each would be a refusal
// charged to the address's budget (refusals-are-charged) — and no timer runs, until a new
// token arrives; then the channel resumes from its cursor.
import { describe, expect, it, vi } from 'vitest';
import { claimsOf, createFakeApi, json, setupClient, tokenFor } from '../../../../test/helpers/fake-api.js';
import { frame, useChannelFakes } from './channel-fakes.js';

useChannelFakes();

const agentMessage = (seq: number) => ({
  id: `m${seq}`,
  conversation_id: 'conv_1',
  seq,
  author: 'agent',
  text: `agent ${seq}`,
  created_at: new Date().toISOString(),
});

/**
 * The channel as the real server answers it in enforce: a token at or before now − 30 s
 * (clock-tolerance), or none, is refused with 403; any other opens a stream that sends `ready`
 * and the agent's message seq 3, and is ended with `end: token_expired` at the token's exp —
 * at once for a token already past it. A token with a `revoked` claim is refused as `token_invalid`
 * (a rotated secret).
 */
function enforcingApi() {
  return createFakeApi({
    intercept: (call, body) => {
      if (call !== 'channel') return undefined;
      const claims = body.user_token ? claimsOf(body.user_token) : {};
      const untilExp = typeof claims.exp === 'number' ? claims.exp * 1000 - Date.now() : -Infinity;
      if (untilExp <= -30_000 || claims.revoked) {
        const reason = claims.revoked ? 'token_invalid' : body.user_token ? 'token_expired' : 'token_missing';
        return json(403, { error: { code: 'identity_verification_failed', message: 'no', reason } });
      }
      const encoder = new TextEncoder();
      const events = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(encoder.encode(frame('ready', { heartbeat_seconds: 25, expires_in_ms: untilExp })));
          controller.enqueue(encoder.encode(frame('message', agentMessage(3))));
          setTimeout(
            () => {
              controller.enqueue(encoder.encode(frame('end', { reason: 'token_expired', retry_after_ms: 0 })));
              controller.close();
            },
            Math.max(0, untilExp),
          );
        },
      });
      return new Response(events, { status: 200, headers: { 'Content-Type': 'text/event-stream', Date: new Date().toUTCString() } });
    },
  });
}

/** An hour of a tab left open: the network comes back and the tab is shown again every minute. */
async function anHourLater(): Promise<void> {
  for (let minute = 0; minute < 60; minute++) {
    window.dispatchEvent(new Event('online'));
    document.dispatchEvent(new Event('visibilitychange'));
    await vi.advanceTimersByTimeAsync(60_000);
  }
}

describe('the live channel after the user session ended', () => {
  it.each([
    ['rejects', async () => Promise.reject(new Error('signed out'))],
    ['answers null', async () => null as unknown as string],
  ])(
    'when getUserToken %s, the stream ended at exp is not reopened: onIdentityExpired at exp, then no request and no timer for an hour; a token on the next call resumes from the cursor',
    async (_, failing) => {
      const api = enforcingApi();
      const getUserToken = vi.fn(failing);
      const { client, onIdentityExpired } = setupClient(api, { userId: 'alice', userToken: tokenFor('alice', 600), getUserToken });
      client.on('message', () => {});
      await vi.advanceTimersByTimeAsync(600_000 + 50);
      // At exp: one forced getUserToken, as after a 403; no second stream with the token that ended.
      expect(onIdentityExpired).toHaveBeenCalledWith({ userId: 'alice', reason: 'token_refresh_failed' });
      expect(getUserToken).toHaveBeenCalledTimes(1);
      expect(api.of('channel')).toHaveLength(1);
      expect(client.getIdentityState().status).toBe('expired');
      await anHourLater();
      expect(api.of('channel')).toHaveLength(1);
      expect(getUserToken).toHaveBeenCalledTimes(1);
      expect(vi.getTimerCount()).toBe(0);
      // The user signs in again; the app's next call gets a token, and the channel resumes after seq 3.
      getUserToken.mockImplementation(async () => tokenFor('alice', 600));
      await client.identify('alice');
      await vi.advanceTimersByTimeAsync(50);
      expect(api.of('channel')).toHaveLength(2);
      expect(api.of('channel')[1]!.body).toMatchObject({ user_id: 'alice', after: { conv_1: 3 } });
      client.destroy();
    },
  );

  it('without getUserToken, the stream ended at exp is not reopened with the dead token, and identify() with a new one resumes from the cursor', async () => {
    const api = enforcingApi();
    const { client, onIdentityExpired } = setupClient(api, { userId: 'alice', userToken: tokenFor('alice', 600) });
    client.on('message', () => {});
    await vi.advanceTimersByTimeAsync(600_000 + 50);
    expect(onIdentityExpired).toHaveBeenCalledWith({ userId: 'alice', reason: 'token_expired' });
    await anHourLater();
    expect(api.of('channel')).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
    await client.identify('alice', {}, { userToken: tokenFor('alice', 600) });
    await vi.advanceTimersByTimeAsync(50);
    expect(api.of('channel')).toHaveLength(2);
    expect(api.of('channel')[1]!.body).toMatchObject({ after: { conv_1: 3 } });
    client.destroy();
  });

  it('without getUserToken, after a 403 (a rotated secret) has opened the episode, `online` and the tab shown again send nothing for an hour', async () => {
    const api = enforcingApi();
    const { client, onIdentityExpired } = setupClient(api, { userId: 'alice', userToken: tokenFor('alice', 3600, { revoked: true }) });
    client.on('message', () => {});
    await vi.advanceTimersByTimeAsync(50);
    expect(onIdentityExpired).toHaveBeenCalledWith({ userId: 'alice', reason: 'token_invalid' });
    await anHourLater();
    expect(api.of('channel')).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
    await client.identify('alice', {}, { userToken: tokenFor('alice', 600) });
    await vi.advanceTimersByTimeAsync(50);
    expect(api.of('channel')).toHaveLength(2);
    client.destroy();
  });
});
