import type { Identity } from './check-identity.js';
import { traitsFor } from './conversation-access.js';
import { traitsOf, type Body } from './parse-request.js';
import type { ConversationStore } from './store.js';

/** The `identify` call: merges the sent traits and answers `{ user, identity }`. */
export async function identifyCall(store: ConversationStore, who: Identity, body: Body): Promise<unknown> {
  const traits = await traitsFor(store, who, traitsOf(body));
  return {
    user: who.userId === null ? null : { user_id: who.userId, traits },
    identity: { verified: who.verified, mode: who.mode },
  };
}
