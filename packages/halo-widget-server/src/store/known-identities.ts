/** What a server last read of one identity's row, in stored form (`storableId` keys). */
export interface KnownIdentity {
  /** The conversation a chat without `conversation_id` continues. */
  latest: string | null;
  /** Conversations found to be this identity's (ownership never changes). */
  owned: Set<string>;
  /** The stored traits as JSON text: each reader parses its own copy, so no caller can change the cached one. */
  traits: string;
  /** The stored verified claims as JSON text (`null` when none). */
  claims: string;
  /** The row's version when it was read, or when this server last wrote it. */
  version: string;
}

// Conversation ids kept per identity: a user continues one or two; more just cost a lookup.
const OWNED_PER_IDENTITY = 8;

/**
 * The identities a server has read lately, so a returning user's chat needs no read before
 * its write (one round trip). Bounded: past `max` the least recently used is forgotten. Never
 * trusted alone — a chat composed from it is written only while the row is still at `version`
 * (chat-exchange.ts), so another instance's change sends the chat back to the database.
 */
export class KnownIdentities {
  readonly #max: number;
  readonly #entries = new Map<string, KnownIdentity>();

  constructor(max: number) {
    this.#max = max;
  }

  /** The key of (project, owner): length-prefixed, so no two pairs share one. */
  static key(project: string, owner: string): string {
    return `${project.length}:${project}${owner}`;
  }

  get(key: string): KnownIdentity | undefined {
    const found = this.#entries.get(key);
    if (found) {
      this.#entries.delete(key);
      this.#entries.set(key, found);
    }
    return found;
  }

  /** Records a fresh read: the row's traits and version, and `conversationId` as the identity's (its latest when `latest`). */
  remember(
    key: string,
    conversationId: string,
    latest: boolean,
    traits: Record<string, unknown> | null,
    version: string,
    claims: Record<string, unknown> | null = null,
  ): void {
    const entry = this.#entries.get(key);
    const owned = entry && entry.version === version ? entry.owned : new Set<string>();
    if (owned.size >= OWNED_PER_IDENTITY) owned.clear();
    owned.add(conversationId);
    const next: KnownIdentity = {
      latest: latest ? conversationId : entry?.version === version ? entry.latest : null,
      owned,
      traits: JSON.stringify(traits ?? {}),
      claims: JSON.stringify(claims),
      version,
    };
    this.#entries.delete(key);
    this.#entries.set(key, next);
    if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value!);
  }

  /** This server wrote the identity's traits: the row is now at `version`. */
  wroteTraits(key: string, traits: Record<string, unknown>, version: string): void {
    const entry = this.#entries.get(key);
    if (entry) Object.assign(entry, { traits: JSON.stringify(traits), version });
  }

  /** This server wrote the identity's verified claims: the row is now at `version`. */
  wroteClaims(key: string, claims: Record<string, unknown>, version: string): void {
    const entry = this.#entries.get(key);
    if (entry) Object.assign(entry, { claims: JSON.stringify(claims), version });
  }

  forget(key: string): void {
    this.#entries.delete(key);
  }
}
