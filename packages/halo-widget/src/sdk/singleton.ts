import { DEV } from '../dev.js';
import { invalidRequest } from '../errors.js';
import type { HaloClient, HaloOptions } from '../types.js';
import { createHalo } from './client.js';

let current: HaloClient | null = null;
/** Before `Halo.init` nothing is pending (one array, so a React snapshot stays stable). */
const NONE_PENDING: readonly never[] = Object.freeze([]);

function client(): HaloClient {
  if (!current) throw invalidRequest(DEV && 'Call Halo.init({ widgetKey, … }) first.');
  return current;
}

function later<T>(run: (c: HaloClient) => Promise<T>): Promise<T> {
  try {
    return run(client());
  } catch (error) {
    // What `client()` or a method throws synchronously is a HaloError (invalid_request, shutdown).
    return Promise.reject(error as Error);
  }
}

/** The page's singleton client, and its launcher ("Browser API" section of docs/protocol.md): `init` plus every client method. */
export interface HaloFacade extends HaloClient {
  /** Creates the page's client; a second `init` shuts the first down. */
  init(options: HaloOptions): HaloClient;
}

/**
 * `Halo.init(options)` makes the page's one client; the other methods forward to it.
 * Without `init`, promise methods reject and the others throw `invalid_request`, except
 * `getIdentityState()` (anonymous), `isOpen()` (false), `getUnreadCount()` (0),
 * `getPendingMessages()` (none), and `shutdown()` / `destroy()` (nothing to do).
 */
export const Halo: HaloFacade = {
  init(options) {
    // Validate before touching the running client: a bad second init keeps the first.
    const next = createHalo(options);
    current?.shutdown();
    current = next;
    return next;
  },
  identify: (userId, traits, options) => later((c) => c.identify(userId, traits, options)),
  sendMessage: (text, options) => later((c) => c.sendMessage(text, options)),
  getPendingMessages: () => (current ? current.getPendingMessages() : NONE_PENDING),
  cancel: (clientMessageId) => client().cancel(clientMessageId),
  history: (options) => later((c) => c.history(options)),
  open: () => client().open(),
  close: () => client().close(),
  on: (event, handler) => client().on(event, handler),
  getIdentityState: () =>
    current ? current.getIdentityState() : { userId: null, status: 'anonymous', verified: null, tokenExpiresAt: null },
  shutdown: () => current?.shutdown(),
  destroy: () => current?.destroy(),
  isOpen: () => current?.isOpen() ?? false,
  getUnreadCount: () => current?.getUnreadCount() ?? 0,
};
