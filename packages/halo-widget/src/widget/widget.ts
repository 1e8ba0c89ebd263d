import type { MountWidget } from '../sdk/ui.js';
import type { ChatMessage, IdentityState } from '../types.js';
import { bubble } from './bubble.js';
import { h, icon } from './dom.js';
import { CHAT, CLOSE, DOWN, SEND } from './icons.js';
import { isCode, progress, type Outgoing } from './outgoing.js';
import { olderPages, type OlderPages } from './older-pages.js';
import { MAX_MESSAGE_CHARS } from '../protocol.js';
import { adoptStyles } from './styles.js';

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

  const render = (out: Outgoing): void => {
    const queued = out.state === 'sending' && (identity.status === 'expired' || out.pending?.state === 'held');
    out.el.className = `m u ${out.state === 'failed' ? 'f' : out.state === 'sent' ? '' : queued ? 'q' : 's'}`;
    out.meta.replaceChildren(
      ...(out.state === 'failed'
        ? ['Not sent.', h('button', { type: 'button', onclick: () => (dispatch(out), input?.focus()) }, ['Retry'])]
        : out.state === 'sent'
          ? []
          : [progress(out, identity)]),
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
