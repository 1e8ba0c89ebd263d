// What the inbox reads beyond `SupportStore`: the conversation list and the user panel. The
// store branch implements these next to SupportStore (conversation-model.ts); the inbox codes
// against the names below, which are the ones agreed for it.
import type { Author, ConversationStatus, ConversationSummary, SupportStore } from '../store/conversation-model.js';

/** Who a conversation's owner is, as the list shows it. */
export interface InboxUser {
  /** The user id (`user:` owners) or null for a visitor. */
  user_id: string | null;
  /** The visitor id (`visitor:` owners) or null. */
  visitor_id: string | null;
  /** From the verified token's claims when there are any, else the client's traits (then `verified` is false). */
  name: string | null;
  email: string | null;
  /** Whether the user id was ever vouched for by a verified token (name and email then come from its claims). */
  verified: boolean;
}

/** One row of the inbox's list. */
export interface InboxConversation extends ConversationSummary {
  user: InboxUser;
  /** Who wrote the last message (null when there is none): the inbox shows "unread" while it is the user. */
  last_author: Author | null;
  /** The start of the last message (for the list's preview). */
  last_text: string | null;
}

/** A list query. The order is newest activity first; `after` is the cursor a previous page returned. */
export interface ConversationListQuery {
  /** The widget keys the caller may see; null: every project. */
  projects: readonly string[] | null;
  status?: ConversationStatus;
  /** Only conversations whose user is (true) or is not (false) verified. */
  verified?: boolean;
  /** Matches the user id (exactly or as a prefix), or part of the name or email (case-insensitive). */
  q?: string;
  /** Opaque keyset cursor from {@link ConversationListPage.next}. */
  after?: string;
  limit: number;
}

export interface ConversationListPage {
  conversations: InboxConversation[];
  /** The cursor of the next page, or null at the end. */
  next: string | null;
}

/** What the inbox shows of a user: what the app's backend vouched for, apart from what the browser said. */
export interface UserPanel {
  owner: string;
  /** The claims of the latest verified token (name, email, plan, company_id, …); null when none verified. */
  verified_claims: Record<string, unknown> | null;
  /** The traits the client sent (never verified). */
  client_traits: Record<string, unknown> | null;
  first_seen: string | null;
  last_seen: string | null;
}

/** The store the inbox runs on: the support side plus the list and the user panel. */
export interface InboxStore extends SupportStore {
  listConversations(query: ConversationListQuery): Promise<ConversationListPage>;
  getUserPanel(project: string, owner: string): Promise<UserPanel | null>;
}

/** Whether `store` implements the inbox's reads (the stores do once the support side is merged). */
export function isInboxStore(store: unknown): store is InboxStore {
  const s = store as Partial<InboxStore> | null | undefined;
  return (
    typeof s?.listConversations === 'function' &&
    typeof s.getUserPanel === 'function' &&
    typeof s.readMessages === 'function' &&
    typeof s.appendMessage === 'function' &&
    typeof s.notifier?.subscribe === 'function'
  );
}
