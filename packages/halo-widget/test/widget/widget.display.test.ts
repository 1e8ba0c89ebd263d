// @vitest-environment happy-dom
// What the panel shows besides the messages themselves: the log following its end while the
// "Reconnecting…" banner is up, the header from the theme options, and message times.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WidgetHandle } from '../../src/sdk/ui.js';
import type { HaloTheme } from '../../src/types.js';
import { mountWidget } from '../../src/widget/widget.js';
import { FakeClient, message } from './fake-client.js';

let client: FakeClient;
let widget: WidgetHandle | undefined;

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));
const shadow = (): ShadowRoot => document.querySelector('halo-widget')!.shadowRoot!;
const log = (): HTMLElement => shadow().querySelector('[role="log"]')!;
const input = (): HTMLTextAreaElement => shadow().querySelector('textarea')!;

function mount(theme: HaloTheme = {}): void {
  widget = mountWidget(client, { theme, send: client.send, messageId: client.messageId });
}

async function open(history: ReturnType<typeof message>[] = []): Promise<void> {
  shadow().querySelector<HTMLButtonElement>('button')!.click();
  client.historyCalls.at(-1)?.resolve(history);
  await flush();
}

function sendTyped(text: string): void {
  input().value = text;
  input().dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
}

/**
 * Gives the log a layout, which happy-dom does not compute: 300 px tall, its content 40 px
 * per child, plus what `extra()` adds (the queued label's line, the banner's lost height).
 */
function layout(extra: () => number = () => 0): void {
  const el = log();
  Object.defineProperty(el, 'clientHeight', { configurable: true, get: () => 300 });
  Object.defineProperty(el, 'scrollHeight', { configurable: true, get: () => el.children.length * 40 + extra() });
}

const atEnd = (): boolean => log().scrollTop === log().scrollHeight;

beforeEach(() => {
  client = new FakeClient();
});

afterEach(() => {
  widget?.destroy();
  widget = undefined;
});

describe('following the end of the log', () => {
  it('keeps a message queued while the banner shows, and its label, in view', async () => {
    mount();
    await open(Array.from({ length: 20 }, (_, i) => message(i % 2 ? 'assistant' : 'user', `old ${i}`)));
    // The label's line is rendered after the bubble is appended: the log must follow it too.
    layout(() => (shadow().querySelector('.q .me')?.textContent ? 18 : 0));
    client.setIdentity({ status: 'expired' });
    expect(atEnd()).toBe(true);
    sendTyped('are you there?');
    expect(shadow().querySelector('.q .me')!.textContent).toBe('Queued: sends once you are reconnected');
    expect(atEnd()).toBe(true);
  });

  it('follows messages that arrive while "Reconnecting…" is shown', async () => {
    mount();
    await open(Array.from({ length: 20 }, (_, i) => message('assistant', `old ${i}`)));
    layout();
    client.setIdentity({ status: 'refreshing' });
    expect(shadow().querySelector('[role="status"]')!.textContent).toBe('Reconnecting…');
    client.emit('message', message('assistant', 'a new answer'));
    expect(atEnd()).toBe(true);
  });

  it('brings the log back to its end when the banner appears and takes its height', async () => {
    mount();
    await open(Array.from({ length: 20 }, (_, i) => message('assistant', `old ${i}`)));
    let banner = 0;
    layout(() => banner);
    log().scrollTop = log().scrollHeight;
    log().dispatchEvent(new Event('scroll'));
    banner = 36;
    client.setIdentity({ status: 'refreshing' });
    expect(atEnd()).toBe(true);
  });

  it('leaves a user who scrolled up to read where they are, until they send', async () => {
    mount();
    await open(Array.from({ length: 20 }, (_, i) => message('assistant', `old ${i}`)));
    layout();
    log().scrollTop = 100;
    log().dispatchEvent(new Event('scroll'));
    client.emit('message', message('assistant', 'a new answer'));
    client.setIdentity({ status: 'refreshing' });
    expect(log().scrollTop).toBe(100);
    sendTyped('mine');
    expect(atEnd()).toBe(true);
  });
});

describe('header from the theme options', () => {
  it('shows "Support" and the default line, and no image, without options', async () => {
    mount();
    await open();
    expect(shadow().querySelector('.hd h2')!.textContent).toBe('Support');
    expect(shadow().querySelector('.hd p')!.textContent).toBe('Ask us anything. We are here to help.');
    expect(shadow().querySelector('.hd img')).toBeNull();
  });

  it('shows the given title, subtitle and avatar, the image decorative, the dialog still named "Support chat"', async () => {
    mount({ title: 'Acme help desk', subtitle: 'We answer within the hour', avatarUrl: 'https://cdn.acme.test/team.png' });
    await open();
    expect(shadow().querySelector('.hd h2')!.textContent).toBe('Acme help desk');
    expect(shadow().querySelector('.hd p')!.textContent).toBe('We answer within the hour');
    const img = shadow().querySelector('.hd img')!;
    expect(img.getAttribute('src')).toBe('https://cdn.acme.test/team.png');
    expect(img.getAttribute('alt')).toBe('');
    expect(shadow().querySelector('[role="dialog"]')!.getAttribute('aria-label')).toBe('Support chat');
    // Text only, never markup, and no inline style (strict CSP).
    expect(shadow().querySelector('[style]')).toBeNull();
  });

  it('removes an avatar that fails to load (a blocked img-src, a dead link)', async () => {
    mount({ avatarUrl: 'https://cdn.acme.test/missing.png' });
    await open();
    shadow().querySelector('.hd img')!.dispatchEvent(new Event('error'));
    expect(shadow().querySelector('.hd img')).toBeNull();
  });

  it('renders a title as text, never as markup', async () => {
    mount({ title: '<img src=x onerror=alert(1)>' });
    await open();
    expect(shadow().querySelector('.hd h2')!.textContent).toBe('<img src=x onerror=alert(1)>');
    expect(shadow().querySelectorAll('img')).toHaveLength(0);
  });
});

describe('message times', () => {
  it('gives each message a <time> with its machine-readable datetime and the full date as its hover title', async () => {
    mount();
    const at = '2026-12-01T09:05:00.000Z';
    await open([{ ...message('assistant', 'hello'), created_at: at }]);
    const time = log().querySelector('.m time')!;
    expect(time.getAttribute('datetime')).toBe(at);
    expect(time.getAttribute('title')).toBe(new Date(at).toLocaleString());
    expect(time.textContent).toBe(new Date(at).toLocaleTimeString([], { timeStyle: 'short' }));
  });

  it('times the user’s own message when it is written, outside its text and its status line', async () => {
    mount();
    await open();
    const before = Date.now();
    sendTyped('hi');
    const bubble = log().querySelector('.m.u')!;
    const at = Date.parse(bubble.querySelector('time')!.getAttribute('datetime')!);
    expect(at).toBeGreaterThanOrEqual(before - 1000);
    expect(at).toBeLessThanOrEqual(Date.now());
    expect(bubble.querySelector('.t')!.textContent).toBe('hi');
    expect(bubble.querySelector('.me')!.textContent).toBe('Sending…');
  });

  it('shows no time for a message whose created_at is not a date', async () => {
    mount();
    await open([{ ...message('assistant', 'odd'), created_at: 'yesterday-ish' }]);
    expect(log().querySelector('.m')).not.toBeNull();
    expect(log().querySelector('time')).toBeNull();
  });
});
