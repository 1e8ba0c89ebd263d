import { DEV } from '../dev.js';
import type { UserTraits } from '../types.js';
import { missingTraitsHint } from './diagnostics.js';

/**
 * warn-missing-traits: once per client (`warned`) and user, tell the developer the user will
 * show as "Anonymous" — no `name` or `email` trait, and no name in the token's claims.
 */
export function warnMissingTraits(warned: Set<string>, userId: string | null, traits: UserTraits, namesUser: boolean): void {
  if (!userId || warned.has(userId) || traits.name || traits.email || namesUser) return;
  warned.add(userId);
  console.warn(DEV ? missingTraitsHint(userId) : `[halo] warn-missing-traits: ${userId}`);
}
