import type { IdentityState } from '../types.js';

/**
 * The identity state as a stable snapshot: `last` itself while no field changed, else a new
 * frozen object. React's useSyncExternalStore needs the same object until the state changes.
 */
export function identitySnapshot(last: IdentityState | null, next: IdentityState): IdentityState {
  const same =
    last &&
    last.userId === next.userId &&
    last.status === next.status &&
    last.verified === next.verified &&
    last.tokenExpiresAt === next.tokenExpiresAt;
  return same ? last : Object.freeze(next);
}
