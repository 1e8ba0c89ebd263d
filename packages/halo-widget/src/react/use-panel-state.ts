import type { HaloEventName } from '../index.js';
import { useClientStore } from './use-client-store.js';

const OPEN_EVENTS: HaloEventName[] = ['open', 'close'];
const UNREAD_EVENTS: HaloEventName[] = ['unread'];

/** Whether the chat panel is open, re-rendering on the `open` and `close` events. `false` on the server. */
export function useIsOpen(): boolean {
  return useClientStore(OPEN_EVENTS, (client) => client.isOpen(), false);
}

/**
 * How many assistant replies arrived while the panel was closed (reset when it opens),
 * re-rendering on the `unread` event: for a badge on the app's own "Help" button.
 */
export function useUnreadCount(): number {
  return useClientStore(UNREAD_EVENTS, (client) => client.getUnreadCount(), 0);
}
