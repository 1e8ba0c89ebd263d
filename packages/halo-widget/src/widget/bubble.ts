import type { ChatMessage } from '../types.js';
import { h } from './dom.js';

// A message's bubble markup, apart from the widget's state: it only turns a message into DOM.

/** The message's time, shown on hover; in the text, so a screen reader reads it too. */
const stamp = (iso: string): Node | string => {
  const at = new Date(iso);
  return isNaN(+at)
    ? ''
    : h('time', { datetime: at.toISOString(), title: at.toLocaleString() }, [at.toLocaleTimeString([], { timeStyle: 'short' })]);
};

/**
 * One message's bubble and its meta line (where the widget shows "Sending…" or Retry).
 * `unverified`: stored by an unverified request, shown to a verified session: never "You" (ADR 0840).
 */
export const bubble = (role: ChatMessage['role'], text: string, at: string, unverified?: boolean | null): [HTMLElement, HTMLElement] => {
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
