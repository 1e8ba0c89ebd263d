// The support side's conversation model: what the live channel, the agent inbox and the AI
// responder read and write. Every write goes through the store and, once committed, is
// announced on the store's notifier (ids only; readers fetch by cursor), so none of them
// polls and none writes around the store. See docs/decisions/0801-conversation-model.md.

/** Who wrote a message: the user (or visitor), the AI, or a person on the support team. */
export type Author = 'user' | 'assistant' | 'agent';

/** A conversation's state on the support side. */
export type ConversationStatus = 'open' | 'resolved';

/** A message as the channel, the inbox and `history` see it. */
export interface ConversationMessage {
  id: string;
  conversation_id: string;
  /** Strictly increasing within its conversation, from 1, without gaps: the channel's cursor. */
  seq: number;
  author: Author;
  /** The agent's account id and display name, for `author: 'agent'`. */
  agent?: { id: string; name: string };
  text: string;
  created_at: string;
  /** On a user message (and its synchronous reply) stored by a request that did not verify. */
  unverified?: true;
}

/** A conversation as the inbox lists it. */
export interface ConversationSummary {
  id: string;
  /** The project's widget key. */
  project: string;
  /** `user:<user_id>` or `visitor:<visitor_id>`. */
  owner: string;
  status: ConversationStatus;
  needs_human: boolean;
  /** The agent account assigned, if any. */
  assignee: string | null;
  /** The seq of the conversation's last message (0 when it has none). */
  last_seq: number;
  last_message_at: string;
  created_at: string;
}

/** A page of a conversation's messages, oldest first. */
export interface MessagePage {
  messages: ConversationMessage[];
  /** Whether older messages exist before the first one returned. */
  has_more: boolean;
}

/** Where to read a conversation's messages from. At most one of `after` and `before`. */
export interface MessageRange {
  /** Messages with a seq greater than this (the channel's resume cursor). */
  after?: number;
  /** Messages with a seq less than this (history's "load older"). */
  before?: number;
  /** At most this many; with `after`, the oldest ones after it, else the newest. */
  limit: number;
}

/** A message written by someone other than the user: an agent's reply or the AI's. */
export interface NewMessage {
  author: 'assistant' | 'agent';
  agent?: { id: string; name: string };
  text: string;
  /** Idempotency: a repeat of the id in the conversation stores nothing and returns the first. */
  client_message_id: string | null;
  /** The model's reported usage, for an AI reply. */
  usage?: { prompt_tokens: number; completion_tokens: number };
}

/** What one committed write announces. Listeners fetch what they need by id and cursor. */
export type StoreEvent =
  | { type: 'message.created'; project: string; conversation_id: string; owner: string; seq: number; message_id: string; author: Author }
  | { type: 'conversation.updated'; project: string; conversation_id: string; owner: string };

/**
 * The store's announcements, after commit. In one process for the memory and embedded stores;
 * across instances for PostgreSQL (LISTEN/NOTIFY). A lost announcement loses no message: a
 * reader catches up from its cursor.
 */
export interface StoreNotifier {
  /** Calls `listener` for every event from now on; returns the unsubscribe function. */
  subscribe(listener: (event: StoreEvent) => void): () => void;
}

/** The support side's reads and writes, implemented by every store (memory, PGlite, PostgreSQL). */
export interface SupportStore {
  readonly notifier: StoreNotifier;
  /** A page of messages of a conversation of `project` (null when there is no such conversation there). */
  readMessages(project: string, conversationId: string, range: MessageRange): Promise<MessagePage | null>;
  /** Appends a message from the AI or an agent; idempotent by `client_message_id`. Null when the conversation is not `project`'s. */
  appendMessage(project: string, conversationId: string, message: NewMessage): Promise<ConversationMessage | null>;
  getSummary(project: string, conversationId: string): Promise<ConversationSummary | null>;
  /** Sets status, needs_human or assignee; announces `conversation.updated`. */
  updateConversation(
    project: string,
    conversationId: string,
    patch: Partial<Pick<ConversationSummary, 'status' | 'needs_human' | 'assignee'>>,
  ): Promise<ConversationSummary | null>;
}
