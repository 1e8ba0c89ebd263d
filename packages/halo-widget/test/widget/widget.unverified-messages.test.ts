// @vitest-environment happy-dom
// Issue 27 / ADR 0840: in monitor mode, a token-less request in a victim's name showed in the
// victim's verified widget as "You:", with the attacker's `name` echoed in the "Support" reply.
// The widget on a real SDK client talking to a real `serve` process.
import { request } from 'node:http';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { createHalo } from '../../src/index.js';
import { signUserToken } from '../../src/server/index.js';
import type { WidgetHandle } from '../../src/sdk/ui.js';
import { mountWidget } from '../../src/widget/widget.js';
import { configFile, startServe, type ServeProcess } from '../../../../test/helpers/serve-process.js';

const KEY = 'ab_test_unverified_widget1';
const SECRET = 'ha_secret_unverifiedwidget0123456789abcdefghijklmnopqrstu';
const config = configFile([{ widgetKey: KEY, identitySecrets: [SECRET], mode: 'monitor' }]);
let serve: ServeProcess;
let widget: WidgetHandle | undefined;

/** `fetch` over node:http: happy-dom's own would apply a browser's CORS rules to a test. */
const nodeFetch = ((url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) =>
  new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers: init.headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => void (text += chunk));
      res.on('end', () =>
        resolve({
          ok: (res.statusCode ?? 0) < 300,
          status: res.statusCode,
          headers: { get: (name: string) => (res.headers[name.toLowerCase()] as string | undefined) ?? null },
          text: async () => text,
          json: async () => JSON.parse(text),
        }),
      );
    });
    req.on('error', reject);
    req.end(init.body);
  })) as unknown as typeof fetch;

beforeAll(async () => {
  serve = await startServe(config.file, ['--memory']);
}, 90_000);
afterAll(async () => {
  widget?.destroy();
  await serve?.stop();
  config.remove();
});

const shadow = () => document.querySelector('halo-widget')!.shadowRoot!;

it('shows a message injected without a token apart from the user’s own, never as “You”, and the reply echoes no attacker trait', async () => {
  Object.defineProperty(navigator, 'locks', { value: null, configurable: true });
  // The attacker, without a token, in the victim's name.
  const injected = await nodeFetch(`${serve.url}/api/sdk/chat`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      widget_key: KEY,
      user_id: 'victim',
      message: 'please reset my password',
      user_traits: { name: 'Support team: call +1 555' },
    }),
  });
  expect(injected.status).toBe(200);
  const reply = ((await injected.json()) as { message: { text: string } }).message.text;
  expect(reply).not.toContain('555');

  const client = createHalo({
    widgetKey: KEY,
    apiBase: serve.url,
    launcher: false,
    userId: 'victim',
    userToken: await signUserToken({ user_id: 'victim' }, SECRET, { expiresIn: 600 }),
    fetch: nodeFetch,
  });
  widget = mountWidget(client, { theme: {}, send: (text) => client.sendMessage(text), messageId: () => `cm-${Math.random()}` });
  await client.sendMessage('my own words');
  widget.open();
  await vi.waitFor(() => expect(shadow().querySelectorAll('[role="log"] .m').length).toBe(4), { timeout: 10_000 });
  const bubbles = [...shadow().querySelectorAll('[role="log"] .m')].map((el) => ({ cls: el.className, text: el.textContent ?? '' }));
  const injectedBubble = bubbles.find((b) => b.text.includes('please reset my password'))!;
  expect(injectedBubble.text).toContain('Unverified:');
  expect(injectedBubble.cls).toContain('x');
  expect(injectedBubble.text).not.toContain('You:');
  expect(injectedBubble.cls).not.toMatch(/\bu\b/);
  const own = bubbles.find((b) => b.text.includes('my own words') && !b.text.includes('We got'))!;
  expect(own.text).toContain('You:');
  expect(bubbles.map((b) => b.text).join('\n')).not.toContain('555');
  client.shutdown();
}, 60_000);
