import { ConversationFullError } from './conversation-full-error.js';
import type { SqlClient } from './sql-client.js';
import type { ReplyRow } from './chat-batches.js';

/** A user's message to store alone (the AI answers it later): ids already in their stored form. */
export interface UserMessageInput {
  conversationId: string;
  clientMessageId: string | null;
  messageId: string;
  messageText: string;
  verified: boolean;
  createdAt: string;
  /** As `AppendInput.guard`: written only while the identity's row is at this version; `null` writes unconditionally. */
  guard: { project: string; owner: string; version: string } | null;
}

// One user message at the conversation's next seq, or the one on record for its
// client_message_id. Like APPEND (chat-batches.ts): the conversation's row is updated first,
// so writers of one conversation take turns; a retry another statement committed meanwhile
// hits the unique key and the statement runs again, then seeing it. Announced on commit.
const WRITE = `
with input as (
  select $1::text as conversation_id, $2::text as client_message_id, $3::text as id, $4::text as text, $5::boolean as verified,
    $6::timestamptz as created_at, $7::text as project, $8::text as owner, $9::bigint as version
), earlier as (
  select m.id, m.seq, m.text, m.verified, m.client_message_id, m.created_at
  from input join messages m on m.conversation_id = input.conversation_id and m.author = 'user' and m.client_message_id = input.client_message_id
), eligible as (
  select input.* from input
  where not exists (select 1 from earlier)
    and (input.version is null or exists (
      select 1 from identities x join conversations c on c.project = x.project and c.owner = x.owner
      where x.project = input.project and x.owner = input.owner and x.version = input.version and c.id = input.conversation_id))
), bumped as (
  update conversations c set last_seq = c.last_seq + 1, bytes = c.bytes + octet_length(e.text),
    last_message_at = greatest(c.last_message_at, e.created_at)
  from eligible e
  where c.id = e.conversation_id and c.last_seq + 1 <= $10 and c.bytes + octet_length(e.text) <= $11
  returning c.id, c.project, c.owner, c.last_seq as seq
), stored as (
  insert into messages (conversation_id, seq, id, author, text, verified, client_message_id, created_at)
  select e.conversation_id, b.seq, e.id, 'user', e.text, e.verified, e.client_message_id, e.created_at
  from eligible e join bumped b on b.id = e.conversation_id
  returning seq, id
), notified as (
  select pg_notify('halo_events', json_build_array('m', b.project, b.id, b.owner, s.seq, s.id, 'user')::text) from stored s cross join bumped b
)
select 'stored' as kind, e.id as reply_id, b.seq::int as reply_seq, e.text as reply_text, e.verified as reply_verified, e.client_message_id, e.created_at,
  (select count(*) from notified) as announced
from eligible e join bumped b on b.id = e.conversation_id
union all
select 'earlier', id, seq, text, verified, client_message_id, created_at, 0 from earlier
union all
select case when c.last_seq + 1 > $10 then 'messages' else 'bytes' end, null, null, null, null, null, null, 0
from eligible e join conversations c on c.id = e.conversation_id
where not exists (select 1 from bumped)`;

const UNIQUE_VIOLATION = '23505';
const RUNS = 3;

/**
 * Stores a user's message without a reply; answers its row (`reply_*` columns, as an exchange's
 * reply is answered), the one on record for its `client_message_id`, or `null` for a guarded
 * write whose identity changed. Throws `ConversationFullError` past the caps.
 */
export async function writeUserMessage(
  client: SqlClient,
  input: UserMessageInput,
  caps: { maxMessages: number; maxBytes: number },
): Promise<ReplyRow | null> {
  const params = [
    input.conversationId,
    input.clientMessageId,
    input.messageId,
    input.messageText,
    input.verified,
    input.createdAt,
    input.guard?.project ?? null,
    input.guard?.owner ?? null,
    input.guard?.version ?? null,
    caps.maxMessages,
    caps.maxBytes,
  ];
  for (let run = 1; ; run++) {
    let rows: (ReplyRow & { kind: string })[];
    try {
      ({ rows } = await client.query<ReplyRow & { kind: string }>(WRITE, params));
    } catch (error) {
      if (run < RUNS && (error as { code?: unknown }).code === UNIQUE_VIOLATION) continue;
      throw error;
    }
    const row = rows[0];
    if (!row) {
      if (input.guard) return null;
      throw new Error('a user message came back without its row');
    }
    if (row.kind === 'messages' || row.kind === 'bytes') throw new ConversationFullError(row.kind);
    return row;
  }
}
