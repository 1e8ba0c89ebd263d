import type { Identity } from '../identity/check-identity.js';
import { ApiError } from '../http/http.js';
import { isThenable } from '../util/is-thenable.js';
import type { ConversationStore, StoredConversation } from '../store/store.js';
import { mergeTraits, readStoredTraits, type StoredTraits, type TraitLimits } from '../identity/traits.js';

/** Whether an object has an own enumerable key, without listing its keys. */
function hasKeys(object: Record<string, unknown>): boolean {
  for (const name in object) if (Object.hasOwn(object, name)) return true;
  return false;
}

/**
 * The identity's conversation: `requested` if it is theirs (else 404, history-isolation),
 * or their latest, created when `create` is set and there is none.
 */
export async function conversationFor(
  store: ConversationStore,
  who: Identity,
  requested: string | undefined,
  create: boolean,
): Promise<StoredConversation | null> {
  const key = who.project.widgetKey;
  if (requested) {
    const found = store.getConversation(key, requested);
    const conversation = isThenable(found) ? await found : found;
    // Another identity's conversation looks exactly like a missing one: nothing leaks.
    if (!conversation || conversation.project !== key || conversation.owner !== who.owner) {
      throw new ApiError(404, 'not_found', 'No such conversation.');
    }
    return conversation;
  }
  const latest = store.latestConversation(key, who.owner);
  const conversation = isThenable(latest) ? await latest : latest;
  return conversation ?? (create ? await store.createConversation(key, who.owner) : null);
}

/**
 * The identity's stored client traits with this body's merged in by the trait rules
 * (traits.ts: verified marks, caps), stored only when they changed: the SDK sends the same
 * traits with every message, and a database would otherwise write them each time. The
 * trusted claims are never stored (trusted-claims-per-request): see `traitViews` for what the
 * answers show. `stored` is the identity's record when the caller already read it (`openChat`).
 */
export async function traitsFor(
  store: ConversationStore,
  who: Identity,
  sent: Record<string, unknown>,
  limits: Required<TraitLimits>,
  stored?: Record<string, unknown>,
): Promise<StoredTraits> {
  const key = who.project.widgetKey;
  let raw: unknown = stored;
  if (raw === undefined) {
    const read = store.getTraits(key, who.owner);
    raw = isThenable(read) ? await read : read;
  }
  const record = readStoredTraits(raw);
  if (!hasKeys(sent)) return record;
  const merged = mergeTraits(record, sent, who.verified, limits);
  if (merged.changed) {
    const written = store.setTraits(key, who.owner, merged.record);
    if (isThenable(written)) await written;
  }
  return merged.record;
}
