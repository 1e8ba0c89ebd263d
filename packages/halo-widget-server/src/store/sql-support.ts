import {
  PREVIEW_CHARS,
  type Author,
  type ConversationMessage,
  type ConversationSummary,
  type NewMessage,
  type SupportStore,
  type UserPanel,
} from './conversation-model.js';
import { ConversationFullError } from './conversation-full-error.js';
import { cursorOf, resolveListQuery, whoFrom } from './inbox-query.js';
import { MAX_PAGE } from './message-range.js';
import type { SqlClient } from './sql-client.js';
import { idFromStorable, iso, MESSAGE_COLUMNS, messageOf, storable, storableId, type MessageRow } from './stored-form.js';
import { newId } from './store.js';
import { readStoredTraits, traitValues } from '../identity/traits.js';

const SUMMARY_COLUMNS = 'c.id, c.project, c.owner, c.status, c.needs_human, c.assignee, c.last_seq, c.last_message_at, c.created_at';

interface SummaryRow {
  id: string;
  project: string;
  owner: string;
  status: 'open' | 'resolved';
  needs_human: boolean;
  assignee: string | null;
  last_seq: number;
  last_message_at: Date | string;
  created_at: Date | string;
}

const summaryOf = (row: SummaryRow): ConversationSummary => ({
  id: idFromStorable(row.id),
  project: idFromStorable(row.project),
  owner: idFromStorable(row.owner),
  status: row.status,
  needs_human: row.needs_human,
  assignee: row.assignee,
  last_seq: Number(row.last_seq),
  last_message_at: iso(row.last_message_at),
  created_at: iso(row.created_at),
});

// A page of messages and the conversation's last seq in one statement: no row at all when the
// conversation is not the project's, one row with null message columns when the page is empty.
const readPage = (order: 'asc' | 'desc') => `
select c.last_seq, m.* from conversations c
left join lateral (
  select ${MESSAGE_COLUMNS} from messages where conversation_id = c.id and seq ${order === 'asc' ? '>' : '<'} $3 order by seq ${order} limit $4
) m on true
where c.id = $1 and c.project = $2`;
const READ_FORWARD = readPage('asc');
const READ_BACK = readPage('desc');
const MAX_SEQ = 2 ** 31 - 1;

const UPDATE = `
with u as (
  update conversations c set status = coalesce($3, c.status), needs_human = coalesce($4, c.needs_human),
    assignee = case when $5 then $6 else c.assignee end
  where c.id = $1 and c.project = $2
  returning ${SUMMARY_COLUMNS}
), n as (
  select pg_notify('halo_events', json_build_array('c', project, id, owner)::text) from u
)
select u.*, (select count(*) from n) as announced from u`;

const PANEL = `
select x.traits, x.claims, x.claims_at, x.created_at,
  greatest(x.updated_at, (select max(c.last_message_at) from conversations c where c.project = x.project and c.owner = x.owner)) as last_seen
from identities x where x.project = $1 and x.owner = $2`;

/** The support side of the SQL store: pages of messages, AI and agent messages, the inbox. */
export function createSqlSupport(client: SqlClient, caps: { maxMessages: number; maxBytes: number }): Omit<SupportStore, 'notifier'> {
  const k = storableId;
  return {
    async readMessages(project, conversationId, range) {
      const limit = Math.min(Math.max(1, Math.floor(range.limit)), MAX_PAGE);
      const forward = range.after !== undefined;
      const cursor = Math.max(0, Math.min(forward ? range.after! : (range.before ?? MAX_SEQ), MAX_SEQ));
      const { rows } = await client.query<MessageRow & { last_seq: number }>(forward ? READ_FORWARD : READ_BACK, [
        k(conversationId),
        k(project),
        cursor,
        limit,
      ]);
      if (!rows[0]) return null;
      const last = Number(rows[0].last_seq);
      const messages = rows.filter((row) => row.id !== null).map((row) => messageOf(row, conversationId));
      if (!forward) messages.reverse();
      if (messages.length === 0) return { messages, has_more: false };
      return { messages, has_more: forward ? messages.at(-1)!.seq < last : messages[0]!.seq > 1 };
    },

    appendMessage(project, conversationId, message: NewMessage) {
      return client.transaction(async (tx) => {
        // The row lock makes writes to one conversation take turns: seq stays gap-free, and a
        // repeat of a client_message_id that waited here sees the first (a new snapshot per statement).
        const { rows: found } = await tx.query<{ last_seq: number; bytes: string | number; owner: string; needs_human: boolean }>(
          'select last_seq, bytes, owner, needs_human from conversations where id = $1 and project = $2 for update',
          [k(conversationId), k(project)],
        );
        if (!found[0]) return null;
        if (message.client_message_id !== null) {
          const { rows } = await tx.query<MessageRow>(
            `select ${MESSAGE_COLUMNS} from messages where conversation_id = $1 and author = $2 and client_message_id = $3`,
            [k(conversationId), message.author, k(message.client_message_id)],
          );
          if (rows[0]) return messageOf(rows[0], conversationId);
        }
        const text = storable(message.text);
        const bytes = Buffer.byteLength(text);
        if (Number(found[0].last_seq) + 1 > caps.maxMessages) throw new ConversationFullError('messages');
        if (Number(found[0].bytes) + bytes > caps.maxBytes) throw new ConversationFullError('bytes');
        const seq = Number(found[0].last_seq) + 1;
        const id = message.id === undefined ? newId('msg') : k(message.id);
        const { rows } = await tx.query<MessageRow>(
          `insert into messages (conversation_id, seq, id, author, agent_id, agent_name, text, client_message_id, usage, in_reply_to, created_at)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9::text::json, $10, now())
           returning ${MESSAGE_COLUMNS}`,
          [
            k(conversationId),
            seq,
            id,
            message.author,
            message.agent ? storable(message.agent.id) : null,
            message.agent ? storable(message.agent.name) : null,
            text,
            message.client_message_id === null ? null : k(message.client_message_id),
            message.usage ? JSON.stringify(message.usage) : null,
            message.in_reply_to ? k(message.in_reply_to) : null,
          ],
        );
        // An agent's message clears needs_human: a person answered (docs/decisions/0812).
        const cleared = message.author === 'agent' && found[0].needs_human;
        await tx.query(
          `update conversations set last_seq = $2, bytes = bytes + $3, last_message_at = $4,
             needs_human = case when $5 then false else needs_human end
           where id = $1`,
          [k(conversationId), seq, bytes, rows[0]!.created_at, message.author === 'agent'],
        );
        await tx.query(
          "select pg_notify('halo_events', json_build_array('m', $1::text, $2::text, $3::text, $4::int, $5::text, $6::text)::text)",
          [k(project), k(conversationId), found[0].owner, seq, id, message.author],
        );
        if (cleared) {
          await tx.query("select pg_notify('halo_events', json_build_array('c', $1::text, $2::text, $3::text)::text)", [
            k(project),
            k(conversationId),
            found[0].owner,
          ]);
        }
        return messageOf(rows[0]!, conversationId) as ConversationMessage;
      });
    },

    async getSummary(project, conversationId) {
      const { rows } = await client.query<SummaryRow>(`select ${SUMMARY_COLUMNS} from conversations c where c.id = $1 and c.project = $2`, [
        k(conversationId),
        k(project),
      ]);
      return rows[0] ? summaryOf(rows[0]) : null;
    },

    async locateConversation(projects, conversationId) {
      const { rows } = await client.query<SummaryRow>(
        `select ${SUMMARY_COLUMNS} from conversations c where c.id = $1 and c.project = any($2::text[])`,
        [k(conversationId), projects.map(k)],
      );
      return rows[0] ? summaryOf(rows[0]) : null;
    },

    async updateConversation(project, conversationId, patch) {
      const { rows } = await client.query<SummaryRow>(UPDATE, [
        k(conversationId),
        k(project),
        patch.status ?? null,
        patch.needs_human ?? null,
        patch.assignee !== undefined,
        patch.assignee ?? null,
      ]);
      return rows[0] ? summaryOf(rows[0]) : null;
    },

    async listConversations(query) {
      const resolved = resolveListQuery(query);
      if (resolved.projects.length === 0) return { conversations: [], next: null };
      const params: unknown[] = [resolved.projects.map(k)];
      const where = ['c.project = p.project'];
      if (resolved.status !== null) where.push(`c.status = $${params.push(resolved.status)}`);
      if (resolved.verified !== null) where.push(resolved.verified ? 'x.claims is not null' : 'x.claims is null');
      if (resolved.q !== null) where.push(`x.search like $${params.push(`%${resolved.q.replace(/[\\%_]/g, '\\$&')}%`)}`);
      if (resolved.after !== null) {
        where.push(`(c.last_message_at, c.id) < ($${params.push(resolved.after.at)}::timestamptz, $${params.push(k(resolved.after.id))})`);
      }
      const limit = `$${params.push(resolved.limit + 1)}`;
      // One index range per project (equality on project, then the index's order), merged: with
      // project = any(…) PostgreSQL cannot read the index in order and sorts every row instead.
      // The last message (the preview and "unread") is joined after the limit: one primary-key
      // read per listed row, none for the rows the page leaves out (the `limit 1` keeps the
      // planner from turning the lateral into a hash join over every message).
      const { rows } = await client.query<
        SummaryRow & { claims: Record<string, unknown> | null; traits: unknown; last_author: Author | null; last_text: string | null }
      >(
        `select c.*, m.author as last_author, left(m.text, ${PREVIEW_CHARS}) as last_text from (select c.* from unnest($1::text[]) as p (project)
         cross join lateral (
           select ${SUMMARY_COLUMNS}, x.claims, x.traits
           from conversations c left join identities x on x.project = c.project and x.owner = c.owner
           where ${where.join(' and ')}
           order by c.last_message_at desc, c.id desc
           limit ${limit}
         ) c
         order by c.last_message_at desc, c.id desc
         limit ${limit}) c
         left join lateral (
           select m.author, m.text from messages m where m.conversation_id = c.id and m.seq = c.last_seq limit 1
         ) m on true
         order by c.last_message_at desc, c.id desc`,
        params,
      );
      const conversations = rows.slice(0, resolved.limit).map((row) => {
        const summary = summaryOf(row);
        const { name, email } = whoFrom(row.claims, traitValues(readStoredTraits(row.traits)));
        const userId = summary.owner.startsWith('user:') ? summary.owner.slice(5) : null;
        return {
          ...summary,
          user: { owner: summary.owner, user_id: userId, name, email, verified: row.claims !== null },
          last_author: row.last_author,
          last_text: row.last_text,
        };
      });
      return { conversations, next: rows.length > resolved.limit ? cursorOf(conversations.at(-1)!) : null };
    },

    async getUserPanel(project, owner): Promise<UserPanel | null> {
      const { rows } = await client.query<{
        traits: unknown;
        claims: Record<string, unknown> | null;
        claims_at: Date | null;
        created_at: Date;
        last_seen: Date | null;
      }>(PANEL, [k(project), k(owner)]);
      const row = rows[0];
      if (!row) return null;
      const record = readStoredTraits(row.traits);
      return {
        project,
        owner,
        verified_claims: row.claims,
        verified_claims_at: row.claims_at ? iso(row.claims_at) : null,
        client_traits: Object.fromEntries(Object.entries(record).map(([name, t]) => [name, { value: t.value, verified: t.verified }])),
        first_seen: iso(row.created_at),
        last_seen: row.last_seen ? iso(row.last_seen) : null,
      };
    },
  };
}

/** The statement that keeps a verified request's claims (json keeps their order). */
export const SET_CLAIMS = `
insert into identities (project, owner, claims, claims_at) values ($1, $2, $3::text::json, now())
on conflict (project, owner) do update set claims = excluded.claims, claims_at = now(), version = identities.version + 1, updated_at = now()
returning version`;
