import { MAX_MESSAGE_CHARS } from '../protocol.js';
import type { MountWidget } from '../sdk/ui.js';
import type { ChatMessage, IdentityState, PendingMessage } from '../types.js';
import { h, icon } from './dom.js';
import { olderPages, type OlderPages } from './older-pages.js';
import { css } from './styles.js';

const CHAT = 'M20 2H4a2 2 0 0 0-2 2v18l4-4h14a2 2 0 0 0 2-2V4a2 2 0 0 0-2-2z';
const CLOSE = 'M19 6.41 17.59 5 12 10.59 6.41 5 5 6.41 10.59 12 5 17.59 6.41 19 12 13.41 17.59 19 19 17.59 13.41 12z';
const DOWN = 'M7.41 8.59 12 13.17l4.59-4.58L18 10l-6 6-6-6z';
const SEND = 'M2.01 21 23 12 2.01 3 2 10l15 2-15 2z';

type BubbleState = 'sending' | 'failed' | 'sent';

/** A message this widget sent, until the SDK has delivered it. */
interface Outgoing {
  el: HTMLElement;
  meta: HTMLElement;
  text: string;
  /** Kept across Retry, so the server stores the message once even if a reply was lost. */
  id: string;
  state: BubbleState;
  /** What the SDK's outbox says of it (retrying, held…), while it is pending. */
  pending?: PendingMessage;
}

function adoptStyles(root: ShadowRoot): void {
  if ('adoptedStyleSheets' in root && typeof CSSStyleSheet === 'function' && 'replaceSync' in CSSStyleSheet.prototype) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [sheet];
  } else {
    // Browsers without constructable stylesheets (Safari < 16.4): a strict CSP would block this.
    root.append(h('style', {}, [css]));
  }
}

function isCode(error: unknown, ...codes: string[]): boolean {
  return codes.includes((error as { code?: string } | null)?.code ?? '');
}

/**
 * Mounts the chat launcher for a client: one host element with an open shadow root,
 * the launcher built now, the panel built on first open. Uses the public
 * {@link HaloClient} API, plus the SDK's `send` so that Retry keeps a message's
 * `client_message_id`.
 */
export const mountWidget: MountWidget = (client, { theme, send: sendAs, messageId, toggled }) => {
  const host = document.createElement('halo-widget');
  const root = host.attachShadow({ mode: 'open' });
  adoptStyles(root);
  // CSSOM, not a style attribute: allowed under `style-src 'self'`.
  if (theme.accent) host.style.setProperty('--halo-accent', theme.accent);

  let panel: HTMLElement | undefined;
  let log: HTMLElement | undefined;
  let older: OlderPages | undefined;
  let input: HTMLTextAreaElement | undefined;
  let status: HTMLElement | undefined;
  let isOpen = false;
  let historyLoaded = false;
  let identity: IdentityState = client.getIdentityState();
  let seen = new Set<string>();
  let outgoing: Outgoing[] = [];
  /** Ticks the "retrying in Ns" countdown; runs only while a message waits for a retry. */
  let ticker: ReturnType<typeof setInterval> | undefined;

  const launcher = h(
    'button',
    {
      type: 'button',
      class: 'l',
      'aria-label': 'Open support chat',
      'aria-expanded': 'false',
      onclick: () => (isOpen ? close() : open(true)),
    },
    [icon(CHAT), icon(CLOSE)],
  );
  launcher.children[0].setAttribute('class', 'ic');
  launcher.children[1].setAttribute('class', 'ix');
  // The unread badge: messages from others (an agent, the AI) that came while the panel was closed.
  const badge = h('span', { class: 'b', 'aria-hidden': 'true' }, []);
  launcher.append(badge);
  const showUnread = (count: number): void => {
    badge.textContent = count ? String(Math.min(count, 99)) : '';
    launcher.setAttribute('aria-label', count ? `Open support chat, ${count} unread` : 'Open support chat');
  };
  showUnread(client.getUnreadCount());
  const offUnread = client.on('unread', showUnread);
  const wrap = h('div', { class: theme.position === 'left' ? 'w left' : 'w' }, [launcher]);
  root.append(wrap);

  const attach = (): void => {
    if (document.body) document.body.append(host);
    else document.addEventListener('DOMContentLoaded', attach, { once: true });
  };
  attach();

  // Whether the log shows its end: only then do new messages, labels and the banner keep it
  // there, so a user who scrolled up to read stays where they are.
  let pinned = true;
  const scroll = (force = false): void => {
    if (log && (pinned || force)) log.scrollTop = log.scrollHeight;
  };

  /** The message's time, shown on hover; in the text, so a screen reader reads it too. */
  const stamp = (iso: string): Node | string => {
    const at = new Date(iso);
    return isNaN(+at)
      ? ''
      : h('time', { datetime: at.toISOString(), title: at.toLocaleString() }, [at.toLocaleTimeString([], { timeStyle: 'short' })]);
  };

  // `unverified`: stored by an unverified request, shown to a verified session: never "You" (ADR 0840).
  const bubble = (role: ChatMessage['role'], text: string, at: string, unverified?: boolean | null): [HTMLElement, HTMLElement] => {
    const meta = h('div', { class: 'me' });
    const el = h('div', { class: unverified ? 'm x' : role === 'user' ? 'm u' : 'm' }, [
      // Visible on an unverified message: every reader must see it is not the user's.
      h('span', { class: unverified ? '' : 'sr' }, [unverified ? 'Unverified: ' : role === 'user' ? 'You: ' : 'Support: ']),
      h('div', { class: 't' }, [text]),
      stamp(at),
      meta,
    ]);
    return [el, meta];
  };

  /** "Sending…", "Retrying in Ns" or the queued notice: the SDK keeps trying, the text is safe. */
  const progress = (out: Outgoing): string => {
    const p = out.pending;
    if (identity.status === 'expired' || p?.state === 'held') return 'Queued: sends once you are reconnected';
    if (p?.state !== 'retrying') return 'Sending…';
    if (p.nextAttemptAt === null) return 'Waiting for the network…';
    return `Not delivered yet. Retrying in ${Math.max(1, Math.ceil((p.nextAttemptAt - Date.now()) / 1000))}s`;
  };

  const render = (out: Outgoing): void => {
    const queued = out.state === 'sending' && (identity.status === 'expired' || out.pending?.state === 'held');
    out.el.className = `m u ${out.state === 'failed' ? 'f' : out.state === 'sent' ? '' : queued ? 'q' : 's'}`;
    out.meta.replaceChildren(
      ...(out.state === 'failed'
        ? ['Not sent.', h('button', { type: 'button', onclick: () => (dispatch(out), input?.focus()) }, ['Retry'])]
        : out.state === 'sent'
          ? []
          : [progress(out)]),
    );
    scroll();
  };

  const tick = (): void => {
    const waiting = outgoing.filter((o) => o.pending?.state === 'retrying' && o.pending.nextAttemptAt !== null);
    waiting.forEach(render);
    if (waiting.length && !ticker) ticker = setInterval(tick, 1000);
    if (!waiting.length && ticker) ticker = void clearInterval(ticker);
  };

  const delivered = (out: Outgoing, id?: string): void => {
    if (id) seen.add(id);
    out.state = 'sent';
    outgoing = outgoing.filter((o) => o !== out);
    render(out);
  };

  // A reply being written: the typing dots, then its growing text, in one bubble the final message replaces.
  const streaming = new Map<string, HTMLElement>();
  let dots: HTMLElement | null = null;
  let dotsTimer: ReturnType<typeof setTimeout> | undefined;
  const typing = (): void => {
    if (!log) return;
    clearTimeout(dotsTimer);
    dots ??= h('div', { class: 'm ty', role: 'status' }, [
      h('span', { class: 'sr' }, ['Support is typing']),
      h('div', { class: 't' }, ['•••']),
    ]);
    log.append(dots);
    // No reply within a minute (a model down, a person to answer): the dots go, the message will still come.
    dotsTimer = setTimeout(stopTyping, 60_000);
  };
  const stopTyping = (): void => {
    clearTimeout(dotsTimer);
    dots?.remove();
    dots = null;
  };
  const grow = (id: string, text: string): void => {
    if (!log || seen.has(id)) return;
    stopTyping();
    let el = streaming.get(id);
    if (!el) {
      el = bubble('assistant', '', new Date().toISOString())[0];
      el.classList.add('ty');
      streaming.set(id, el);
      log.append(el);
    }
    el.querySelector('.t')!.textContent = text;
    scroll();
  };

  const show = (message: ChatMessage, before?: Node | null): void => {
    if (!log || seen.has(message.id)) return;
    seen.add(message.id);
    // ADR 0840: in a verified session, a message stored by an unverified request (monitor mode:
    // anyone can send one in this user's name) is set apart and labelled, its reply too.
    const el = bubble(message.role, message.text, message.created_at, message.unverified && identity.verified)[0];
    const growing = streaming.get(message.id);
    streaming.delete(message.id);
    if (message.role !== 'user') stopTyping();
    if (growing) growing.replaceWith(el);
    else log.insertBefore(el, before ?? null);
  };

  const dispatch = (out: Outgoing): void => {
    const user = identity.userId;
    out.state = 'sending';
    render(out);
    sendAs(out.text, out.id).then(
      (reply) => {
        if (out.state === 'sending') delivered(out);
        // The stored user message: the reply streams in later (typing until it does).
        if (reply.role === 'user') {
          seen.add(reply.id);
          typing();
        } else show(reply);
        scroll();
      },
      (error: unknown) => {
        // The conversation of another user (or none, after shutdown): not this log's message.
        if (isCode(error, 'identity_changed', 'shutdown') || user !== identity.userId) return out.el.remove();
        out.state = 'failed';
        render(out);
      },
    );
  };

  const send = (): void => {
    const text = input!.value.trim();
    if (!text) return;
    input!.value = '';
    const [el, meta] = bubble('user', text, new Date().toISOString());
    const out: Outgoing = { el, meta, text, id: messageId(), state: 'sending' };
    outgoing.push(out);
    log!.append(el);
    // The user's own message is always brought into view, wherever they had scrolled.
    scroll(true);
    dispatch(out);
  };

  const loadHistory = (): void => {
    historyLoaded = true;
    const user = identity.userId;
    client.history().then(
      (messages) => {
        if (user !== identity.userId || !log) return;
        // Older than anything shown live: goes above it, in order.
        const first = log.firstChild;
        for (const message of messages) show(message, first);
        scroll(true);
        older?.reset(messages);
      },
      // Already reported to onError by the SDK; the next open tries again.
      () => (historyLoaded = false),
    );
  };

  const renderStatus = (): void => {
    if (!status) return;
    const s = identity.status;
    status.textContent =
      s === 'refreshing'
        ? 'Reconnecting…'
        : s === 'expired'
          ? 'Reconnecting… Your messages will be sent once you are signed in again.'
          : '';
    // The banner takes height from the log: keep its end, and the queued message, in view.
    scroll();
  };

  const build = (): void => {
    input = h('textarea', {
      'aria-label': 'Message',
      placeholder: 'Write a message…',
      rows: '1',
      maxlength: String(MAX_MESSAGE_CHARS),
      onkeydown: (e) => {
        const k = e as KeyboardEvent;
        if (k.key === 'Enter' && !k.shiftKey && !k.isComposing) {
          k.preventDefault();
          send();
        }
      },
    });
    log = h('div', {
      role: 'log',
      'aria-label': 'Messages',
      'aria-live': 'polite',
      class: 'lg',
      onscroll: () => (pinned = log!.scrollHeight - log!.scrollTop - log!.clientHeight < 40),
    });
    // Older pages go above everything shown (the widget's `seen` drops any message twice).
    older = olderPages(
      log,
      (options) => client.history(options),
      (page, first = log!.firstChild) => page.forEach((m) => show(m, first)),
    );
    status = h('div', { role: 'status', class: 'st' });
    const closeButton = h('button', { type: 'button', 'aria-label': 'Close support chat', onclick: () => close(true) }, [icon(DOWN)]);
    panel = h('div', { role: 'dialog', 'aria-label': 'Support chat', class: 'p', id: 'halo-panel' }, [
      h('div', { class: 'hd' }, [
        // Decorative: the title next to it names the team.
        theme.avatarUrl ? h('img', { class: 'av', src: theme.avatarUrl, alt: '', onerror: (e) => (e.target as Element).remove() }) : '',
        h('div', {}, [h('h2', {}, [theme.title ?? 'Support']), h('p', {}, [theme.subtitle ?? 'Ask us anything. We are here to help.'])]),
        closeButton,
      ]),
      status,
      log,
      h('form', { onsubmit: (e) => (e.preventDefault(), send()) }, [
        input,
        h('button', { type: 'submit', 'aria-label': 'Send' }, [icon(SEND)]),
      ]),
    ]);
    wrap.append(panel);
    launcher.setAttribute('aria-controls', 'halo-panel');
    renderStatus();
  };

  const open = (focus = false): void => {
    if (!panel) build();
    isOpen = true;
    panel!.classList.add('o');
    launcher.setAttribute('aria-expanded', 'true');
    toggled?.(true);
    if (!historyLoaded) loadHistory();
    // Only a user's click moves focus in: an app's Halo.open() must not steal the page's focus.
    if (focus) input!.focus();
  };

  const close = (returnFocus = false): void => {
    if (!panel) return;
    isOpen = false;
    panel.classList.remove('o');
    launcher.setAttribute('aria-expanded', 'false');
    toggled?.(false);
    if (returnFocus || panel.contains(root.activeElement)) launcher.focus();
  };

  wrap.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && isOpen) close(true);
  });

  const offMessage = client.on('message', (message) => {
    if (!log || seen.has(message.id)) return;
    // The SDK announces our own message once delivered, under the client_message_id we gave it.
    const mine = message.role === 'user' && outgoing.find((o) => o.id === message.id);
    if (mine) delivered(mine, message.id);
    else show(message);
    scroll();
  });

  const offDelta = client.on('messageDelta', ({ id, text }) => grow(id, text));

  const offPending = client.on('pending', (list) => {
    for (const out of outgoing) {
      const p = list.find((m) => m.clientMessageId === out.id);
      if (p === out.pending) continue;
      out.pending = p;
      if (out.state === 'sending') render(out);
    }
    tick();
  });

  const offIdentity = client.on('identity', (state) => {
    const switched = state.userId !== identity.userId;
    identity = state;
    if (switched) {
      // Another user (or a logout): the previous conversation must not stay on screen.
      seen = new Set();
      outgoing = [];
      streaming.clear();
      stopTyping();
      log?.replaceChildren();
      historyLoaded = false;
      older?.reset();
      // After the SDK has finished the switch: it announces the new user before it has
      // dropped the previous user's conversation id and token.
      queueMicrotask(() => isOpen && !historyLoaded && loadHistory());
    }
    outgoing.forEach(render);
    renderStatus();
  });

  return {
    open: () => open(),
    close: () => close(),
    destroy() {
      offMessage();
      offDelta();
      clearTimeout(dotsTimer);
      offUnread();
      offPending();
      offIdentity();
      clearInterval(ticker);
      host.remove();
    },
  };
};
