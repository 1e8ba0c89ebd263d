import { isHaloError, type HaloClient, type HaloEventMap, type HaloEventName } from '../index.js';

/**
 * Clients known to be shut down or destroyed: the provider marks its own before it ends them,
 * {@link listen} marks an app's one it finds dead. A hook reading one keeps its last value.
 */
export const ended = new WeakSet<HaloClient>();

const none = (): void => undefined;

/**
 * `client.on()`, or nothing for a client that is shut down: `on()` throws `shutdown` then, and
 * a hook's effect may still meet such a client (an `<Activity>` shown again runs its
 * children's effects before the provider's, the app's own `shutdown()`).
 */
export function listen<E extends HaloEventName>(client: HaloClient, event: E, handler: (payload: HaloEventMap[E]) => void): () => void {
  if (ended.has(client)) return none;
  try {
    return client.on(event, handler);
  } catch (error) {
    if (!isHaloError(error) || error.code !== 'shutdown') throw error;
    ended.add(client);
    return none;
  }
}
