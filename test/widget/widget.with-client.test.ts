// @vitest-environment happy-dom
// The widget on a real SDK client (a fake API behind `fetch`): the seams between the two.
import { afterEach, expect, it, vi } from 'vitest';
import { createHalo } from '../../src/index.js';
import type { WidgetHandle } from '../../src/sdk/ui.js';
import { mountWidget } from '../../src/widget/widget.js';
import { API_BASE, createFakeApi, tokenFor, WIDGET_KEY } from '../helpers/fake-api.js';

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
  widget = mountWidget(client, { theme: {} });
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
  const client = createHalo({ widgetKey: WIDGET_KEY, apiBase: API_BASE, launcher: false, fetch: api.fetch });
  widget = mountWidget(client, { theme: {} });
  widget.open();
  const input = shadow().querySelector('textarea')!;
  input.value = 'typed';
  input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
  await vi.waitFor(() => expect(texts()).toEqual(['typed', 'echo: typed']));
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect(texts()).toEqual(['typed', 'echo: typed']);
  expect([...shadow().querySelectorAll('.me')].map((el) => el.textContent).filter(Boolean)).toEqual([]);
  client.shutdown();
});
