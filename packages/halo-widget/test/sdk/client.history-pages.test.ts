// history({ before, limit }): one page of the conversation and whether older ones exist
// (docs/protocol.md, history-pages; ADR 0815).
import { describe, expect, it } from 'vitest';
import { createHalo, type ChatMessage } from '../../src/index.js';
import { API_BASE, createFakeApi, json, WIDGET_KEY } from '../../../../test/helpers/fake-api.js';

const message = (seq: number): ChatMessage => ({
  id: `msg_${seq}`,
  conversation_id: 'conv_1',
  seq,
  role: seq % 2 ? 'user' : 'assistant',
  text: `#${seq}`,
  created_at: new Date(0).toISOString(),
});

/** A server holding a conversation of `total` messages that answers `history` by the history-pages rule. */
function pagedApi(total: number) {
  return createFakeApi({
    intercept: (call, body) => {
      if (call !== 'history') return undefined;
      const end = (body.before ?? total + 1) - 1;
      const start = Math.max(1, end - (body.limit ?? 50) + 1);
      const messages = Array.from({ length: Math.max(0, end - start + 1) }, (_, i) => message(start + i));
      return json(200, { conversation_id: 'conv_1', messages, has_more: start > 1 });
    },
  });
}

const make = (api: ReturnType<typeof createFakeApi>) =>
  createHalo({ widgetKey: WIDGET_KEY, apiBase: API_BASE, launcher: false, fetch: api.fetch });

describe('history pages', () => {
  it('history() still resolves with the newest page as an array of messages, and says older ones exist', async () => {
    const api = pagedApi(120);
    const page = await make(api).history();
    expect(Array.isArray(page)).toBe(true);
    expect(page.map((m) => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => 71 + i));
    expect(page.hasMore).toBe(true);
    expect(api.of('history')[0]!.body).not.toHaveProperty('before');
    expect(api.of('history')[0]!.body).not.toHaveProperty('limit');
  });

  it('history({ before, limit }) sends both and resolves with that older page; the oldest says hasMore false', async () => {
    const api = pagedApi(120);
    const client = make(api);
    const older = await client.history({ before: 71, limit: 50 });
    expect(api.of('history')[0]!.body).toMatchObject({ before: 71, limit: 50 });
    expect([older[0]!.seq, older.at(-1)!.seq, older.hasMore]).toEqual([21, 70, true]);
    const oldest = await client.history({ before: 21 });
    expect([oldest.length, oldest[0]!.seq, oldest.hasMore]).toEqual([20, 1, false]);
  });

  it('a page still equals a plain array of its messages (hasMore is not enumerable: app tests and JSON see no change)', async () => {
    const page = await make(pagedApi(2)).history();
    expect(page).toEqual([message(1), message(2)]);
    expect(JSON.stringify(page)).toBe(JSON.stringify([message(1), message(2)]));
    expect(page.hasMore).toBe(false);
  });

  it('an answer without has_more (a server from before pages) means no older page', async () => {
    const api = createFakeApi();
    expect((await make(api).history()).hasMore).toBe(false);
  });

  it('only before and limit go on the wire: other keys of the options cannot override the identity', async () => {
    const api = pagedApi(3);
    await make(api).history({ before: 2, user_id: 'mallory' } as never);
    expect(api.of('history')[0]!.body).not.toHaveProperty('user_id');
  });
});
