import type { Identity } from '../identity/check-identity.js';
import { traitsFor } from './conversation-access.js';
import { traitsOf, type Body } from '../http/parse-request.js';
import type { ConversationStore } from '../store/store.js';
import { traitViews, type TraitLimits } from '../identity/traits.js';

/** The `identify` call: merges the sent traits and answers `{ user, identity }`. */
export async function identifyCall(store: ConversationStore, who: Identity, body: Body, limits: Required<TraitLimits>): Promise<unknown> {
  const record = await traitsFor(store, who, traitsOf(body, limits), limits);
  return {
    user: who.userId === null ? null : { user_id: who.userId, traits: traitViews(record, who.verified, who.trusted).answer },
    identity: { verified: who.verified, mode: who.mode },
  };
}
