// A small in-memory double of the inbox's store contract (SupportStore + listConversations +
// getUserPanel), for testing the agent API, auth and page layers until the store branch's
// implementations are merged. Switching to a real store is one line: pass it as `inboxStore`
// (or leave `inboxStore` out and give startHaloServer that store).
import { randomUUID } from 'node:crypto';
import type { ConversationMessage, StoreEvent } from '../../packages/halo-widget-server/src/store/conversation-model.js';
import type { InboxConversation, InboxStore, UserPanel } from '../../packages/halo-widget-server/src/inbox/inbox-store.js';

interface Row {
  summary: InboxConversation;
  messages: ConversationMessage[];
}

/** What a test seeds: a user's message as the SDK's chat would store it. */
export interface SeedMessage {
  project: string;
  /** `user:<id>` or `visitor:<id>`. */
  owner: string;
  text: string;
  /** A monitor-mode request that did not verify: the message is marked, the claims are not touched. */
  unverified?: boolean;
  /** A verified token's claims (ignored when `unverified`). */
  claims?: Record<string, unknown>;
  /** The client's traits (never verified). */
  traits?: Record<string, unknown>;
  conversationId?: string;
}

export type InboxDouble = InboxStore & { seed(message: SeedMessage): Promise<string> };

export function createInboxDouble(): InboxDouble {
  const rows = new Map<string, Row>();
  const panels = new Map<string, UserPanel>();
  const listeners = new Set<(event: StoreEvent) => void>();
  const emit = (event: StoreEvent) => queueMicrotask(() => listeners.forEach((l) => l(event)));
  let clock = Date.now();
  const tick = () => new Date((clock = Math.max(clock + 1, Date.now()))).toISOString();
  const find = (project: string, id: string) => {
    const row = rows.get(id);
    return row && row.summary.project === project ? row : null;
  };
  const userOf = (project: string, owner: string) => {
    const panel = panels.get(`${project}|${owner}`);
    const source = panel?.verified_claims ?? panel?.client_traits ?? {};
    const [kind, id] = [owner.slice(0, owner.indexOf(':')), owner.slice(owner.indexOf(':') + 1)];
    return {
      user_id: kind === 'user' ? id : null,
      visitor_id: kind === 'visitor' ? id : null,
      name: typeof source.name === 'string' ? source.name : null,
      email: typeof source.email === 'string' ? source.email : null,
      verified: Boolean(panel?.verified_claims),
    };
  };
  const push = (row: Row, message: Omit<ConversationMessage, 'id' | 'seq' | 'created_at' | 'conversation_id'>) => {
    const at = tick();
    const stored = { id: `msg_${randomUUID()}`, conversation_id: row.summary.id, seq: row.messages.length + 1, created_at: at, ...message };
    row.messages.push(stored);
    Object.assign(row.summary, {
      last_seq: stored.seq,
      last_message_at: at,
      last_author: stored.author,
      last_text: stored.text.slice(0, 140),
    });
    const { project, id, owner } = row.summary;
    emit({ type: 'message.created', project, conversation_id: id, owner, seq: stored.seq, message_id: stored.id, author: stored.author });
    return stored;
  };
  const cursorOf = (c: InboxConversation) => Buffer.from(JSON.stringify([c.last_message_at, c.id])).toString('base64url');

  return {
    notifier: {
      subscribe(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
    async seed(input) {
      const key = `${input.project}|${input.owner}`;
      const at = new Date().toISOString();
      const panel = panels.get(key) ?? { owner: input.owner, verified_claims: null, client_traits: null, first_seen: at, last_seen: at };
      if (input.claims && !input.unverified) panel.verified_claims = { ...input.claims };
      if (input.traits) panel.client_traits = { ...input.traits };
      panel.last_seen = at;
      panels.set(key, panel);
      let row = input.conversationId ? rows.get(input.conversationId) : undefined;
      if (!row) {
        const id = input.conversationId ?? `conv_${randomUUID()}`;
        row = {
          messages: [],
          summary: {
            id,
            project: input.project,
            owner: input.owner,
            status: 'open',
            needs_human: false,
            assignee: null,
            last_seq: 0,
            last_message_at: at,
            created_at: at,
            user: userOf(input.project, input.owner),
            last_author: null,
            last_text: null,
          },
        };
        rows.set(id, row);
      }
      push(row, { author: 'user', text: input.text, ...(input.unverified ? { unverified: true as const } : {}) });
      return row.summary.id;
    },
    async listConversations(query) {
      const q = query.q?.toLowerCase();
      const all = [...rows.values()]
        .map((r) => ({ ...r.summary, user: userOf(r.summary.project, r.summary.owner) }))
        .filter((c) => !query.projects || query.projects.includes(c.project))
        .filter((c) => !query.status || c.status === query.status)
        .filter((c) => query.verified === undefined || c.user.verified === query.verified)
        .filter(
          (c) =>
            !q ||
            (c.user.user_id ?? '').toLowerCase().startsWith(q) ||
            [c.user.name, c.user.email].some((v) => v?.toLowerCase().includes(q)),
        )
        .sort((a, b) =>
          a.last_message_at === b.last_message_at ? b.id.localeCompare(a.id) : b.last_message_at.localeCompare(a.last_message_at),
        );
      const start = query.after ? all.findIndex((c) => cursorOf(c) === query.after) + 1 : 0;
      const page = all.slice(start, start + query.limit);
      return { conversations: page, next: start + query.limit < all.length ? cursorOf(page[page.length - 1]!) : null };
    },
    async getUserPanel(project, owner) {
      return structuredClone(panels.get(`${project}|${owner}`) ?? null);
    },
    async readMessages(project, id, range) {
      const row = find(project, id);
      if (!row) return null;
      const messages = row.messages.slice(-range.limit);
      return { messages: structuredClone(messages), has_more: messages.length < row.messages.length };
    },
    async appendMessage(project, id, message) {
      const row = find(project, id);
      if (!row) return null;
      const repeat = row.messages.find((m) => message.client_message_id && (m as { cmid?: string }).cmid === message.client_message_id);
      if (repeat) return structuredClone(repeat);
      const stored = push(row, { author: message.author, text: message.text, ...(message.agent ? { agent: message.agent } : {}) });
      Object.defineProperty(stored, 'cmid', { value: message.client_message_id, enumerable: false });
      return structuredClone(stored);
    },
    async getSummary(project, id) {
      const row = find(project, id);
      if (!row) return null;
      const { user: _u, last_author: _a, last_text: _t, ...summary } = row.summary;
      return structuredClone(summary);
    },
    async updateConversation(project, id, patch) {
      const row = find(project, id);
      if (!row) return null;
      Object.assign(row.summary, patch);
      emit({ type: 'conversation.updated', project, conversation_id: id, owner: row.summary.owner });
      const { user: _u, last_author: _a, last_text: _t, ...summary } = row.summary;
      return structuredClone(summary);
    },
  };
}
