import type { HaloEventName, IdentityState } from '../index.js';
import { useClientStore } from './use-client-store.js';

const EVENTS: HaloEventName[] = ['identity'];
const ANONYMOUS: IdentityState = Object.freeze({ userId: null, status: 'anonymous', verified: null, tokenExpiresAt: null });

/**
 * The client's {@link IdentityState}, re-rendering when it changes (`useSyncExternalStore`
 * over the `identity` event). Anonymous on the server and before the client starts.
 */
export function useIdentityState(): IdentityState {
  return useClientStore(EVENTS, (client) => client.getIdentityState(), ANONYMOUS);
}
