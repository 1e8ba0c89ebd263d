import type { Identity } from '../identity/check-identity.js';
import { ApiError } from '../http/http.js';
import type { ConversationStore, StoredConversation } from '../store/store.js';
import { mergeTraits, readStoredTraits, type StoredTraits, type TraitLimits } from '../identity/traits.js';

/** Whether an object has an own enumerable key, without listing its keys. */
function hasKeys(object: Record<string, unknown>): boolean {
  for (const name in object) if (Object.hasOwn(object, name)) return true;
  return false;
}

/** Another identity's conversation looks exactly like a missing one (history-isolation): nothing leaks. */
export const noSuchConversation = (): ApiError => new ApiError(404, 'not_found', 'No such conversation.');

/**
 * The identity's conversation: `requested` if it is theirs (else 404), or their latest (null
 * when they have none). The store owns history-isolation (it finds a conversation only with
 * its project and owner); this turns its `null` into the protocol's 404.
 */
export async function conversationFor(
  store: ConversationStore,
  who: Identity,
  requested: string | undefined,
): Promise<StoredConversation | null> {
  const conversation = await store.findConversation(who.project.widgetKey, who.owner, requested ?? null);
  if (requested !== undefined && !conversation) throw noSuchConversation();
  return conversation;
}

/**
 * The identity's stored client traits with this body's merged in by the trait rules
 * (traits.ts: verified marks, caps), stored only when they changed: the SDK sends the same
 * traits with every message, and a database would otherwise write them each time. The
 * trusted claims are never merged into them (trusted-claims-per-request): see `traitViews` for
 * what the answers show. `stored` is the identity's record when the caller already read it.
 */
export async function traitsFor(
  store: ConversationStore,
  who: Identity,
  sent: Record<string, unknown>,
  limits: Required<TraitLimits>,
  stored?: Record<string, unknown>,
): Promise<StoredTraits> {
  const key = who.project.widgetKey;
  const record = readStoredTraits(stored ?? (await store.getTraits(key, who.owner)));
  if (!hasKeys(sent)) return record;
  const merged = mergeTraits(record, sent, who.verified, limits);
  if (merged.changed) await store.setTraits(key, who.owner, merged.record);
  return merged.record;
}

/**
 * Keeps a verified request's claims for the inbox when they differ from those stored
 * (`stored`, as the chat's opening read them). An unverified request — monitor mode, a
 * refused token, verification off — never writes them, whatever user it claims to be.
 */
export async function claimsFor(store: ConversationStore, who: Identity, stored: Record<string, unknown> | null): Promise<void> {
  if (!who.verified || who.userId === null) return;
  if (stored !== null && JSON.stringify(stored) === JSON.stringify(who.trusted)) return;
  await store.setVerifiedClaims(who.project.widgetKey, who.owner, who.trusted);
}
