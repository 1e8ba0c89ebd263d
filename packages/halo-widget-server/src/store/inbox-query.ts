import { PREVIEW_CHARS, type ConversationListItem, type ListConversationsQuery } from './conversation-model.js';

/** A {@link ListConversationsQuery} with its defaults filled in and its cursor read. */
export interface ResolvedListQuery {
  projects: readonly string[];
  status: 'open' | 'resolved' | null;
  verified: boolean | null;
  /** Lower-cased, at most 100 characters; null for no search. */
  q: string | null;
  after: { at: string; id: string } | null;
  limit: number;
}

/** The cursor of the item a page ended with: `last_message_at` and `id`, opaque to callers. */
export function cursorOf(item: Pick<ConversationListItem, 'last_message_at' | 'id'>): string {
  return Buffer.from(JSON.stringify([item.last_message_at, item.id])).toString('base64url');
}

/** Reads a query once for every store; throws a `TypeError` naming what is wrong. */
export function resolveListQuery(query: ListConversationsQuery): ResolvedListQuery {
  const limit = query.limit ?? 50;
  if (!Number.isInteger(limit) || limit < 1 || limit > 200)
    throw new TypeError('listConversations: limit must be an integer from 1 to 200.');
  let after: ResolvedListQuery['after'] = null;
  if (query.after !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(query.after, 'base64url').toString('utf8'));
    } catch (error) {
      throw new TypeError('listConversations: after is not a cursor this store gave.', { cause: error });
    }
    if (!Array.isArray(parsed) || typeof parsed[0] !== 'string' || typeof parsed[1] !== 'string' || Number.isNaN(Date.parse(parsed[0]))) {
      throw new TypeError('listConversations: after is not a cursor this store gave.');
    }
    after = { at: new Date(parsed[0]).toISOString(), id: parsed[1] };
  }
  const q = query.q?.trim().toLowerCase().slice(0, 100);
  return { projects: query.projects, status: query.status ?? null, verified: query.verified ?? null, q: q ? q : null, after, limit };
}

/** The name and email the inbox shows: the verified claims' first, else the client traits'. */
export function whoFrom(
  claims: Record<string, unknown> | null,
  traits: Record<string, unknown>,
): { name: string | null; email: string | null } {
  const text = (value: unknown) => (typeof value === 'string' && value ? value.slice(0, 200) : null);
  return { name: text(claims?.name) ?? text(traits.name), email: text(claims?.email) ?? text(traits.email) };
}

/** The list's preview of a message: its first characters (code points, as SQL's `left` counts). */
export function previewOf(text: string): string {
  return text.length <= PREVIEW_CHARS ? text : Array.from(text).slice(0, PREVIEW_CHARS).join('');
}
