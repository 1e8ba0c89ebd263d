// The support side's conversation model: what the live channel, the agent inbox and the AI
// responder read and write. Every write goes through the store and, once committed, is
// announced on the store's notifier (ids only; readers fetch by cursor), so none of them
// polls and none writes around the store. See docs/decisions/0810-conversation-model.md.
import type { ChatMessage } from 'halo-widget/protocol';

/** Who wrote a message: the user (or visitor), the AI, or a person on the support team. */
export type Author = 'user' | 'assistant' | 'agent';

/** A conversation's state on the support side. */
export type ConversationStatus = 'open' | 'resolved';

/** What an AI reply cost, as the model reported it. */
export interface MessageUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

/** A message as the channel, the inbox and `history` see it. */
/** A stored message: the wire's {@link ChatMessage} with its place, author and what only the server keeps. */
export interface ConversationMessage extends ChatMessage {
  id: string;
  conversation_id: string;
  /** Strictly increasing within its conversation, from 1, without gaps: the channel's cursor. */
  seq: number;
  author: Author;
  /**
   * For clients from before `author`: `'user'` for the user's messages, `'assistant'` for every
   * other (AI and agent alike: both answer the user). See docs/decisions/0811.
   */
  role: 'user' | 'assistant';
  /** The agent's account id and display name, for `author: 'agent'`. */
  agent?: { id: string; name: string };
  text: string;
  created_at: string;
  /** On a user message (and its synchronous reply) stored by a request that did not verify. */
  unverified?: true;
  /** The model's reported usage, on an AI reply that has it. */
  usage?: MessageUsage;
  /** The idempotency id it was written with, when it had one (a chat's message and its reply share it). */
  client_message_id?: string;
  /** On an AI reply: the id of the newest user message it answered (docs/decisions/0600). */
  in_reply_to?: string;
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
  /**
   * Reading back (`before`, or no cursor): whether older messages exist before the first one
   * returned. Reading forward (`after`): whether newer ones exist after the last.
   */
  has_more: boolean;
}

/** Where to read a conversation's messages from. At most one of `after` and `before`. */
export interface MessageRange {
  /** Messages with a seq greater than this (the channel's resume cursor). */
  after?: number;
  /** Messages with a seq less than this (history's "load older"). */
  before?: number;
  /** At most this many (the store caps it at 200); with `after`, the oldest ones after it, else the newest. */
  limit: number;
}

/** A message written by someone other than the user: an agent's reply or the AI's. */
export interface NewMessage {
  author: 'assistant' | 'agent';
  /** The message's id, when the writer chose it (an AI reply takes the id its deltas carried). @default a new id */
  id?: string;
  agent?: { id: string; name: string };
  text: string;
  /** Idempotency: a repeat of the id in the conversation stores nothing and returns the first. */
  client_message_id: string | null;
  /** The model's reported usage, for an AI reply. */
  usage?: MessageUsage;
  /** For an AI reply: the id of the newest user message it answered. */
  in_reply_to?: string | null;
}

/** Who a conversation's user is, as the inbox shows them. */
export interface ConversationUser {
  /** `user:<user_id>` or `visitor:<visitor_id>`. */
  owner: string;
  /** `null` for a visitor. */
  user_id: string | null;
  /** From the latest verified claims, else the client traits (then `verified` says false). */
  name: string | null;
  email: string | null;
  /** Whether a request with a verified token ever spoke for this user (verified claims are stored). */
  verified: boolean;
}

/** A conversation in the inbox list: its summary, who its user is, and its last message. */
export interface ConversationListItem extends ConversationSummary {
  user: ConversationUser;
  /** Who wrote the last message (null when there is none): "unread" while it is the user (docs/decisions/0832). */
  last_author: Author | null;
  /** The last message's first {@link PREVIEW_CHARS} characters, for the list's preview (null when none). */
  last_text: string | null;
}

/** How much of the last message the inbox list carries. */
export const PREVIEW_CHARS = 200;

/** What the inbox lists: newest activity first (`last_message_at` desc, then `id`). */
export interface ListConversationsQuery {
  /** The projects (widget keys) the caller may see; an empty list lists nothing. */
  projects: readonly string[];
  status?: ConversationStatus;
  /** Only conversations whose user is (true) or is not (false) verified. */
  verified?: boolean;
  /** A case-insensitive substring of the user id, name or email (up to 100 characters). */
  q?: string;
  /** `next` of the previous page: the keyset cursor (opaque). */
  after?: string;
  /** @default 50, at most 200 */
  limit?: number;
}

/** A page of the inbox list. */
export interface ConversationListPage {
  conversations: ConversationListItem[];
  /** Pass as `after` for the next page; `null` on the last. */
  next: string | null;
}

/** What the inbox shows beside a conversation: who the user is, by what evidence. */
export interface UserPanel {
  project: string;
  owner: string;
  /**
   * The claims of the latest request whose token verified (less the registered ones), with
   * when they were stored; `null` when no verified request came. Never written by an
   * unverified request (monitor mode, verification off).
   */
  verified_claims: Record<string, unknown> | null;
  verified_claims_at: string | null;
  /** The client traits: untrusted input, each marked with whether a verified request set it. */
  client_traits: Record<string, { value: unknown; verified: boolean }>;
  first_seen: string | null;
  last_seen: string | null;
}

/** What one committed write announces. Listeners fetch what they need by id and cursor. */
export type StoreEvent =
  | { type: 'message.created'; project: string; conversation_id: string; owner: string; seq: number; message_id: string; author: Author }
  | { type: 'conversation.updated'; project: string; conversation_id: string; owner: string }
  /**
   * Ephemeral, never stored: the text so far of an AI reply that is streaming, under the id its
   * stored message will have. Published with {@link SupportStore.publishDelta}.
   */
  | MessageDeltaEvent
  /**
   * The notifier lost its connection and has it back (PostgreSQL): what was announced
   * meanwhile is not repeated, so a reader catches up from its cursors (`readMessages(after)`).
   */
  | { type: 'resync' };

/** A project's AI replies that reported usage, and their tokens. */
export interface AiUsageTotal {
  replies: number;
  prompt_tokens: number;
  completion_tokens: number;
}

/** The text so far of a streaming AI reply (ephemeral: a lost one is made good by the stored message). */
export interface MessageDeltaEvent {
  type: 'message.delta';
  project: string;
  conversation_id: string;
  owner: string;
  /** The id the stored reply will have. */
  id: string;
  text: string;
}

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
  /**
   * Appends a message from the AI or an agent at the next seq; idempotent by (author,
   * `client_message_id`): a repeat stores nothing and returns the first. Sets `last_message_at`;
   * an agent's message also clears `needs_human` (a person answered: docs/decisions/0812).
   * Null when the conversation is not `project`'s; throws `ConversationFullError` past its caps.
   */
  appendMessage(project: string, conversationId: string, message: NewMessage): Promise<ConversationMessage | null>;
  getSummary(project: string, conversationId: string): Promise<ConversationSummary | null>;
  /**
   * The conversation `conversationId` when it is in one of `projects` (the inbox's look-up across
   * the projects an agent may see, in one read); null otherwise, as for one that does not exist.
   */
  locateConversation(projects: readonly string[], conversationId: string): Promise<ConversationSummary | null>;
  /** Sets status, needs_human or assignee; announces `conversation.updated`. */
  updateConversation(project: string, conversationId: string, patch: ConversationPatch): Promise<ConversationSummary | null>;
  /**
   * Announces a streaming reply's text so far to every instance's listeners, storing nothing.
   * Best effort: PostgreSQL skips a delta over its NOTIFY payload limit (the final message
   * carries the text). Optional so that older doubles still type-check.
   */
  publishDelta?(event: MessageDeltaEvent): Promise<void>;
  /** The usage the model reported, summed over the project's stored AI replies (for `/admin`). Optional, as `publishDelta`. */
  aiUsage?(project: string): Promise<AiUsageTotal>;
  /** The inbox list over the allowed projects, filtered and searched; keyset-paginated. */
  listConversations(query: ListConversationsQuery): Promise<ConversationListPage>;
  /** Who the owner of conversations in `project` is (null when the store knows nothing of them). */
  getUserPanel(project: string, owner: string): Promise<UserPanel | null>;
}

/** What `updateConversation` may change. */
export type ConversationPatch = Partial<Pick<ConversationSummary, 'status' | 'needs_human' | 'assignee'>>;
