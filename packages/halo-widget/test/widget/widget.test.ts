// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PendingMessage } from '../../src/types.js';
import type { WidgetHandle } from '../../src/sdk/ui.js';
import { mountWidget } from '../../src/widget/widget.js';
import { FakeClient, message } from './fake-client.js';

let client: FakeClient;
let widget: WidgetHandle;

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));
const shadow = (): ShadowRoot => document.querySelector('halo-widget')!.shadowRoot!;

/** The element of a role and accessible name inside the widget (implicit roles of the few tags used). */
function byRole(role: string, name?: string): HTMLElement | null {
  const selector = role === 'button' ? 'button' : role === 'textbox' ? 'textarea' : `[role="${role}"]`;
  const all = [...shadow().querySelectorAll<HTMLElement>(selector)];
  return all.find((el) => name === undefined || (el.getAttribute('aria-label') ?? el.textContent?.trim()) === name) ?? null;
}

const launcher = () => byRole('button', 'Open support chat')!;
const input = () => byRole('textbox', 'Message') as HTMLTextAreaElement;
const messages = () => [...byRole('log', 'Messages')!.querySelectorAll('.t')].map((el) => el.textContent);
const metas = () => [...byRole('log', 'Messages')!.querySelectorAll('.me')].map((el) => el.textContent).filter(Boolean);

function press(key: string, init: KeyboardEventInit = {}): KeyboardEvent {
  const event = new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true, composed: true, ...init });
  (shadow().activeElement ?? input()).dispatchEvent(event);
  return event;
}

function type(text: string): void {
  input().value = text;
}

async function openWithHistory(history: ReturnType<typeof message>[] = []): Promise<void> {
  launcher().click();
  client.historyCalls.at(-1)?.resolve(history);
  await flush();
}

beforeEach(() => {
  client = new FakeClient();
  widget = mountWidget(client, { theme: {}, send: client.send, messageId: client.messageId });
});

afterEach(() => {
  widget.destroy();
});

describe('mount', () => {
  it('mounts one host element with an open shadow root styled by an adopted stylesheet', () => {
    expect(document.querySelectorAll('halo-widget')).toHaveLength(1);
    const root = shadow();
    expect(root.mode).toBe('open');
    expect(root.adoptedStyleSheets.length).toBe(1);
    expect(root.querySelector('style')).toBeNull();
    expect(root.querySelector('[style]')).toBeNull();
    expect(document.head.querySelector('style')).toBeNull();
  });

  it('builds only the launcher at mount and the panel on first open', () => {
    expect(launcher().getAttribute('aria-expanded')).toBe('false');
    expect(byRole('dialog')).toBeNull();
    launcher().click();
    expect(byRole('dialog', 'Support chat')).not.toBeNull();
  });

  it('sets the theme accent through a custom property and puts the launcher on the left', () => {
    widget.destroy();
    widget = mountWidget(client, { theme: { accent: '#ff0055', position: 'left' }, send: client.send, messageId: client.messageId });
    const host = document.querySelector('halo-widget') as HTMLElement;
    expect(host.style.getPropertyValue('--halo-accent')).toBe('#ff0055');
    expect(shadow().querySelector('.w')!.classList.contains('left')).toBe(true);
  });

  it('removes its element and its event subscriptions on destroy', () => {
    expect(client.listenerCount()).toBe(5); // message, messageDelta (the growing reply), unread (the badge), pending, identity
    widget.destroy();
    expect(document.querySelector('halo-widget')).toBeNull();
    expect(client.listenerCount()).toBe(0);
  });
});

describe('roles, names and focus', () => {
  it('opens a dialog "Support chat" with a polite log "Messages", a textbox "Message" and a button "Send"', () => {
    launcher().click();
    expect(launcher().getAttribute('aria-expanded')).toBe('true');
    expect(byRole('dialog', 'Support chat')!.classList.contains('o')).toBe(true);
    expect(byRole('log', 'Messages')!.getAttribute('aria-live')).toBe('polite');
    expect(input().tagName).toBe('TEXTAREA');
    expect(byRole('button', 'Send')!.getAttribute('type')).toBe('submit');
    expect(shadow().activeElement).toBe(input());
  });

  it('closes on Escape and returns focus to the launcher', () => {
    launcher().click();
    press('Escape');
    expect(byRole('dialog', 'Support chat')!.classList.contains('o')).toBe(false);
    expect(launcher().getAttribute('aria-expanded')).toBe('false');
    expect(shadow().activeElement).toBe(launcher());
  });

  it('toggles the panel with the launcher', () => {
    launcher().click();
    launcher().click();
    expect(launcher().getAttribute('aria-expanded')).toBe('false');
  });

  it('opens and closes through the handle without moving focus into the panel', () => {
    widget.open();
    expect(byRole('dialog', 'Support chat')!.classList.contains('o')).toBe(true);
    expect(shadow().activeElement).toBeNull();
    widget.close();
    expect(launcher().getAttribute('aria-expanded')).toBe('false');
  });
});

describe('sending', () => {
  it('sends on Enter, shows "Sending…", then the reply from the resolved promise', async () => {
    await openWithHistory();
    type('  Where is my invoice?  ');
    const enter = press('Enter');
    expect(enter.defaultPrevented).toBe(true);
    expect(client.sent.map((s) => s.text)).toEqual(['Where is my invoice?']);
    expect(input().value).toBe('');
    expect(messages()).toEqual(['Where is my invoice?']);
    expect(metas()).toEqual(['Sending…']);
    client.sent[0].resolve(message('assistant', 'It is in Billing.'));
    await flush();
    expect(messages()).toEqual(['Where is my invoice?', 'It is in Billing.']);
    expect(metas()).toEqual([]);
  });

  it('adds a line on Shift+Enter instead of sending', async () => {
    await openWithHistory();
    type('line one');
    const event = press('Enter', { shiftKey: true });
    expect(event.defaultPrevented).toBe(false);
    expect(client.sent).toHaveLength(0);
  });

  it('sends with the Send button and ignores a blank message', async () => {
    await openWithHistory();
    type('   ');
    byRole('button', 'Send')!.click();
    expect(client.sent).toHaveLength(0);
    type('hello');
    byRole('button', 'Send')!.click();
    expect(client.sent.map((s) => s.text)).toEqual(['hello']);
  });

  it('shows its own message once when the SDK announces it under its client_message_id, and the reply', async () => {
    await openWithHistory();
    type('hi');
    press('Enter');
    client.emit('message', message('user', 'hi', client.sent[0].clientMessageId));
    const reply = message('assistant', 'Hello!', 'r1');
    client.emit('message', reply);
    client.sent[0].resolve(reply);
    await flush();
    expect(messages()).toEqual(['hi', 'Hello!']);
    expect(metas()).toEqual([]);
  });

  it('shows the app’s own message of the same text as the panel’s pending one as a separate message', async () => {
    await openWithHistory();
    type('same words');
    press('Enter');
    client.emit('message', message('user', 'same words', 'sent-by-the-app'));
    expect(messages()).toEqual(['same words', 'same words']);
    expect(metas()).toEqual(['Sending…']);
  });

  it('shows messages sent by the app through the SDK', async () => {
    await openWithHistory();
    client.emit('message', message('user', 'from the app', 'a1'));
    client.emit('message', message('assistant', 'answer', 'a2'));
    client.emit('message', message('assistant', 'answer', 'a2'));
    expect(messages()).toEqual(['from the app', 'answer']);
  });

  it('renders message text as text, never as markup', async () => {
    await openWithHistory([message('assistant', '<img src=x onerror=alert(1)>')]);
    expect(shadow().querySelector('img')).toBeNull();
    expect(messages()).toEqual(['<img src=x onerror=alert(1)>']);
  });
});

describe('failure and retry', () => {
  it('marks a rejected message as failed with a Retry button that sends it again under the same client_message_id', async () => {
    await openWithHistory();
    type('help');
    press('Enter');
    client.sent[0].reject(Object.assign(new Error('offline'), { code: 'network_error' }));
    await flush();
    expect(metas()).toEqual(['Not sent.Retry']);
    byRole('button', 'Retry')!.click();
    expect(client.sent.map((s) => s.text)).toEqual(['help', 'help']);
    expect(client.sent[1].clientMessageId).toBe(client.sent[0].clientMessageId);
    expect(metas()).toEqual(['Sending…']);
    expect(shadow().activeElement).toBe(input());
    client.sent[1].resolve(message('assistant', 'Sure.'));
    await flush();
    expect(messages()).toEqual(['help', 'Sure.']);
    expect(metas()).toEqual([]);
  });

  it('drops a message that was rejected because another user signed in', async () => {
    await openWithHistory();
    type('secret question');
    press('Enter');
    client.sent[0].reject(Object.assign(new Error('switched'), { code: 'identity_changed' }));
    await flush();
    expect(messages()).toEqual([]);
  });
});

describe('identity states', () => {
  it('shows "Reconnecting…" while the identity is refreshing', async () => {
    await openWithHistory();
    const status = byRole('status')!;
    expect(status.textContent).toBe('');
    client.setIdentity({ status: 'refreshing' });
    expect(status.textContent).toBe('Reconnecting…');
    client.setIdentity({ status: 'identified' });
    expect(status.textContent).toBe('');
  });

  it('keeps a message visible as queued while the identity is expired, and delivers it after', async () => {
    await openWithHistory();
    client.setIdentity({ status: 'expired' });
    expect(byRole('status')!.textContent).toMatch(/^Reconnecting…/);
    type('still there?');
    press('Enter');
    expect(messages()).toEqual(['still there?']);
    expect(metas()).toEqual(['Queued: sends once you are reconnected']);
    client.setIdentity({ status: 'identified' });
    expect(metas()).toEqual(['Sending…']);
    client.sent[0].resolve(message('assistant', 'Yes!'));
    await flush();
    expect(messages()).toEqual(['still there?', 'Yes!']);
  });

  it('shows "Retrying in Ns", counting down, while the SDK waits to retry a message, keeps its text, and "Sending…" again when it tries', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    try {
      await openWithHistory();
      type('are you there?');
      press('Enter');
      const id = client.sent[0].clientMessageId!;
      const pending = (state: PendingMessage['state'], nextAttemptAt: number | null) => [
        { clientMessageId: id, text: 'are you there?', state, attempts: 1, nextAttemptAt },
      ];
      client.emit('pending', pending('retrying', Date.now() + 4000));
      expect(metas()).toEqual(['Not delivered yet. Retrying in 4s']);
      vi.advanceTimersByTime(2000);
      expect(metas()).toEqual(['Not delivered yet. Retrying in 2s']);
      expect(messages()).toEqual(['are you there?']);
      expect(shadow().querySelector('.me button')).toBeNull();
      client.emit('pending', pending('retrying', null));
      expect(metas()).toEqual(['Waiting for the network…']);
      client.emit('pending', pending('sending', null));
      expect(metas()).toEqual(['Sending…']);
      expect(vi.getTimerCount()).toBe(0); // the countdown runs only while a retry is scheduled
      client.emit('pending', pending('held', null));
      expect(metas()).toEqual(['Queued: sends once you are reconnected']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('turns a message already sending into queued when the identity expires', async () => {
    await openWithHistory();
    type('q');
    press('Enter');
    client.setIdentity({ status: 'expired' });
    expect(metas()).toEqual(['Queued: sends once you are reconnected']);
  });

  it('clears the conversation and loads the new user’s history on a user switch', async () => {
    await openWithHistory([message('assistant', 'Alice’s answer')]);
    expect(messages()).toEqual(['Alice’s answer']);
    client.setIdentity({ userId: 'bob' });
    expect(messages()).toEqual([]);
    await flush();
    expect(client.historyCalls).toHaveLength(2);
    client.historyCalls[1].resolve([message('assistant', 'Bob’s answer')]);
    await flush();
    expect(messages()).toEqual(['Bob’s answer']);
  });
});

describe('history', () => {
  it('restores the conversation on first open only, above messages that arrived meanwhile', async () => {
    launcher().click();
    client.emit('message', message('assistant', 'live', 'l1'));
    client.historyCalls[0].resolve([
      message('user', 'old question', 'h1'),
      message('assistant', 'old answer', 'h2'),
      message('assistant', 'live', 'l1'),
    ]);
    await flush();
    expect(messages()).toEqual(['old question', 'old answer', 'live']);
    launcher().click();
    launcher().click();
    expect(client.historyCalls).toHaveLength(1);
  });

  it('tries the history again on the next open after a failure', async () => {
    launcher().click();
    client.historyCalls[0].reject(new Error('down'));
    await flush();
    launcher().click();
    launcher().click();
    expect(client.historyCalls).toHaveLength(2);
  });
});
