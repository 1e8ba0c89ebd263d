import type { Identity } from './check-identity.js';
import { ApiError } from './http.js';
import { isThenable } from './is-thenable.js';
import { MAX_TRAITS } from './parse-request.js';
import type { ConversationStore, StoredConversation } from './store.js';

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
 * trusted-claims-per-request: stored client traits ← this body's traits ← this request's
 * trusted claims. Only client traits are stored, and only when they changed: the SDK sends
 * the same traits with every message, and a database would otherwise write them each time.
 * `stored` is the identity's record when the caller already read it (`openChat`).
 */
export async function traitsFor(
  store: ConversationStore,
  who: Identity,
  sent: Record<string, unknown>,
  stored?: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const key = who.project.widgetKey;
  let traits = stored;
  if (!traits) {
    const read = store.getTraits(key, who.owner);
    traits = isThenable(read) ? await read : read;
  }
  if (hasKeys(sent)) {
    // Newest last; past the limit the traits not sent for the longest time are dropped,
    // so an identity's record stays bounded however many names a client invents.
    const entries = [...Object.entries(traits).filter(([name]) => !Object.hasOwn(sent, name)), ...Object.entries(sent)].slice(-MAX_TRAITS);
    const merged = Object.fromEntries(entries);
    // Same names, order and values: nothing to write (the order is compared too, as it decides what is dropped first).
    if (JSON.stringify(merged) !== JSON.stringify(traits)) {
      const written = store.setTraits(key, who.owner, merged);
      if (isThenable(written)) await written;
    }
    traits = merged;
  }
  return { ...traits, ...who.trusted };
}
