import type { Emitter } from './emitter.js';

/**
 * The panel's open state and unread count, whoever changes them (the app's open()/close(),
 * the user in the widget): `open`/`close` fire once per change, `unread` with each new count.
 * Unread = assistant replies that arrived while the panel was closed; opening reads them all.
 */
export class PanelState {
  open = false;
  unread = 0;
  readonly #events: Emitter;

  constructor(events: Emitter) {
    this.#events = events;
    events.on('message', (message) => {
      if (message.role === 'assistant' && !this.open) events.emit('unread', ++this.unread);
    });
  }

  set(open: boolean): void {
    if (open === this.open) return;
    this.open = open;
    this.#events.emit(open ? 'open' : 'close', undefined);
    if (open && this.unread) this.#events.emit('unread', (this.unread = 0));
  }
}
