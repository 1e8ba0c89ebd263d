// @vitest-environment happy-dom
// The widget on a real SDK client (a fake API behind `fetch`): the seams between the two.
import { afterEach, expect, it, vi } from 'vitest';
import { createHalo } from '../../src/index.js';
import type { WidgetHandle } from '../../src/sdk/ui.js';
import { mountWidget } from '../../src/widget/widget.js';
import { API_BASE, createFakeApi, tokenFor, WIDGET_KEY } from '../../../../test/helpers/fake-api.js';

let widget: WidgetHandle | undefined;

afterEach(() => {
  widget?.destroy();
});

const shadow = () => document.querySelector('halo-widget')!.shadowRoot!;
const texts = () => [...shadow().querySelectorAll('[role="log"] .t')].map((el) => el.textContent);

it('loads the new user’s history under the new user’s identity after a user switch', async () => {
  // happy-dom's navigator.locks is null already; pinned so the SDK takes its no-locks path.
  Object.defineProperty(navigator, 'locks', { value: null, configurable: true });
  const api = createFakeApi();
  const client = createHalo({
    widgetKey: WIDGET_KEY,
    apiBase: API_BASE,
    launcher: false,
    userId: 'alice',
    userToken: tokenFor('alice'),
    userTraits: { name: 'Alice' },
    fetch: api.fetch,
  });
  widget = mountWidget(client, { theme: {}, send: (text) => client.sendMessage(text), messageId: () => 'unused' });
  widget.open();
  await client.sendMessage('hello from alice');
  await vi.waitFor(() => expect(texts()).toEqual(['hello from alice', 'echo: hello from alice']));

  await client.identify('bob', { name: 'Bob' }, { userToken: tokenFor('bob') });
  await vi.waitFor(() => expect(api.of('history')).toHaveLength(2));
  const bobHistory = api.of('history')[1].body;
  expect(bobHistory.user_id).toBe('bob');
  expect(bobHistory.user_token).toBe(tokenFor('bob'));
  expect(bobHistory.conversation_id).toBeUndefined();
  expect(texts()).toEqual([]);
  client.shutdown();
});

it('shows a message typed in the panel once, then the reply, when the SDK also announces both', async () => {
  Object.defineProperty(navigator, 'locks', { value: null, configurable: true });
  const api = createFakeApi();
  const client = createHalo({ widgetKey: WIDGET_KEY, apiBase: API_BASE, fetch: api.fetch });
  client.open();
  await vi.waitFor(() => expect(shadow().querySelector('textarea')).not.toBeNull());
  const input = shadow().querySelector('textarea')!;
  input.value = 'typed';
  input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
  await vi.waitFor(() => expect(texts()).toEqual(['typed', 'echo: typed']));
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(texts()).toEqual(['typed', 'echo: typed']);
  expect([...shadow().querySelectorAll('.me')].map((el) => el.textContent).filter(Boolean)).toEqual([]);
  client.shutdown();
});

it('retries a message whose reply was lost by itself, under the same client_message_id, showing "Retrying in Ns", so the server keeps it once', async () => {
  Object.defineProperty(navigator, 'locks', { value: null, configurable: true });
  const stored = new Map<string, string>();
  let loseReply = true;
  const api = createFakeApi({
    // An idempotent server: the first attempt is stored, then its answer is lost on the way back.
    intercept: (call, body) => {
      if (call !== 'chat') return undefined;
      if (!stored.has(body.client_message_id)) stored.set(body.client_message_id, body.message);
      if (loseReply) {
        loseReply = false;
        throw new TypeError('Failed to fetch');
      }
      return undefined;
    },
  });
  // The longest first backoff (1 s), so the countdown is on screen long enough to be read.
  vi.spyOn(Math, 'random').mockReturnValue(0.999);
  const client = createHalo({ widgetKey: WIDGET_KEY, apiBase: API_BASE, fetch: api.fetch, onError: () => {} });
  client.open();
  await vi.waitFor(() => expect(shadow().querySelector('textarea')).not.toBeNull());
  const input = shadow().querySelector('textarea')!;
  input.value = 'is my invoice paid?';
  input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
  await vi.waitFor(() => expect(shadow().querySelector('.me')!.textContent).toMatch(/^Not delivered yet\. Retrying in 1s$/));
  expect(shadow().querySelector('.me button')).toBeNull(); // nothing for the user to do
  await vi.waitFor(() => expect(texts()).toEqual(['is my invoice paid?', 'echo: is my invoice paid?']), { timeout: 3000 });
  vi.restoreAllMocks();
  const ids = api.of('chat').map((c) => c.body.client_message_id);
  expect(ids).toHaveLength(2);
  expect(ids[1]).toBe(ids[0]);
  expect([...stored.values()]).toEqual(['is my invoice paid?']);
  client.shutdown();
  expect(document.querySelector('halo-widget')).toBeNull();
});
