import type { SqlClient } from './sql-client.js';

/** What one chat reads before `respond`: the identity, the conversation it names (or none), its retry id. */
export interface OpenInput {
  project: string;
  owner: string;
  /** A conversation id the request named; `null` continues the identity's latest (created when there is none). */
  requested: string | null;
  clientMessageId: string | null;
  /** The id a conversation created for this chat gets. */
  fresh: string;
}

/** The reply on record for an exchange (stored now or by an earlier try), as the messages table holds it. */
export interface ReplyRow {
  reply_id: string;
  reply_seq: number;
  reply_text: string;
  reply_verified: boolean;
  client_message_id: string | null;
  created_at: Date | string;
}

/** What a chat's opening found; `null` when the named conversation is not the identity's. */
export interface OpenRow extends Partial<ReplyRow> {
  id: string;
  traits: Record<string, unknown> | null;
  claims: Record<string, unknown> | null;
  /** The identity row's version when it was read (a string: PostgreSQL's bigint). */
  version: string | number | null;
}

/** One exchange to store: the ids are already in their stored form (`storableId`). */
export interface AppendInput {
  conversationId: string;
  clientMessageId: string | null;
  messageId: string;
  messageText: string;
  verified: boolean;
  replyId: string;
  replyText: string;
  replyVerified: boolean;
  createdAt: string;
  /**
   * Written only if the identity's row is still at this version (what the caller's reply was
   * composed from) and the conversation is that identity's; `null` writes unconditionally.
   */
  guard: { project: string; owner: string; version: string } | null;
}

// The openings of many chats in one statement, each input row numbered (`i`) to match its
// answer. An identity without a conversation gets one (one per identity, however many of its
// chats are in the batch); two statements doing that at once (another batch, another
// instance) both insert one, the identity keeps the first (coalesce) and both continue it.
// A named conversation is found only with its project and owner (history-isolation), so
// another identity's id finds nothing, exactly like a missing one.
const OPEN = `
with input as (
  select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) with ordinality as t(project, owner, requested, cmid, fresh, i)
), found as (
  select input.i, x.latest_conversation_id as id, x.traits, x.claims, x.version
  from input join identities x on x.project = input.project and x.owner = input.owner
  where input.requested is null and x.latest_conversation_id is not null
), made as (
  insert into conversations (id, project, owner)
  select distinct on (project, owner) fresh, project, owner from input
  where requested is null and not exists (select 1 from found where found.i = input.i)
  order by project, owner, i
  returning id, project, owner
), linked as (
  insert into identities as x (project, owner, latest_conversation_id)
  select project, owner, id from made
  on conflict (project, owner) do update
    set latest_conversation_id = coalesce(x.latest_conversation_id, excluded.latest_conversation_id),
      version = x.version + 1, updated_at = now()
  returning project, owner, latest_conversation_id as id, traits, claims, version
), chosen as (
  select i, id, traits, claims, version from found
  union all
  select input.i, linked.id, linked.traits, linked.claims, linked.version
  from input join linked on linked.project = input.project and linked.owner = input.owner
  where input.requested is null
  union all
  select input.i, c.id, x.traits, x.claims, x.version
  from input join conversations c on c.id = input.requested and c.project = input.project and c.owner = input.owner
  left join identities x on x.project = c.project and x.owner = c.owner
)
select chosen.i, chosen.id, chosen.traits, chosen.claims, chosen.version,
  m.id as reply_id, m.seq as reply_seq, m.text as reply_text, m.verified as reply_verified, m.client_message_id, m.created_at
from chosen join input on input.i = chosen.i
left join messages m on m.conversation_id = chosen.id and m.author = 'assistant' and m.client_message_id = input.cmid`;

// Many exchanges in one statement, two messages each at the conversation's next two seqs.
// An exchange whose client_message_id is already answered stores nothing and answers the reply
// on record. The conversation's row is updated (last_seq, bytes, last_message_at) before the
// messages go in, so two statements writing one conversation take turns on that row: the one
// that waited sees the new last_seq (PostgreSQL re-reads a row it waited for) and numbers after
// it. What it cannot see is a retry the other just committed: then its insert hits the unique
// key and the statement fails whole (no seq is used), and appendExchanges runs it again — now
// seeing the reply on record. A guarded exchange goes in only while its identity's row is at the
// version it names and the conversation is that identity's (history-isolation, checked in SQL on
// every write); one that does not comes back without a row. An exchange that would take its
// conversation past $13 messages or $14 bytes stores nothing and answers the cap in `full`.
// Each stored message is announced (pg_notify, ids only), delivered when the statement commits.
const APPEND = `
with input as (
  select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::boolean[], $6::text[], $7::text[], $8::boolean[], $9::timestamptz[],
    $10::text[], $11::text[], $12::bigint[]) with ordinality
    as t(conversation_id, client_message_id, message_id, message_text, verified, reply_id, reply_text, reply_verified, created_at, project, owner, version, i)
), earlier as (
  select input.i, m.id as reply_id, m.seq as reply_seq, m.text as reply_text, m.verified as reply_verified, m.client_message_id, m.created_at
  from input join messages m on m.conversation_id = input.conversation_id and m.author = 'assistant' and m.client_message_id = input.client_message_id
), eligible as (
  select input.*, row_number() over (partition by conversation_id order by i) as k,
    sum(octet_length(message_text) + octet_length(reply_text)) over (partition by conversation_id) as added
  from input
  where not exists (select 1 from earlier where earlier.i = input.i)
    and (input.version is null or exists (
      select 1 from identities x join conversations c on c.project = x.project and c.owner = x.owner
      where x.project = input.project and x.owner = input.owner and x.version = input.version and c.id = input.conversation_id))
), counted as (
  select conversation_id, count(*) as n, max(added) as added, max(created_at) as at from eligible group by conversation_id
), bumped as (
  update conversations c set last_seq = c.last_seq + 2 * counted.n, bytes = c.bytes + counted.added,
    last_message_at = greatest(c.last_message_at, counted.at)
  from counted
  where c.id = counted.conversation_id and c.last_seq + 2 * counted.n <= $13 and c.bytes + counted.added <= $14
  returning c.id, c.last_seq - 2 * counted.n as base
), stored as (
  insert into messages (conversation_id, seq, id, author, text, verified, client_message_id, created_at)
  select e.conversation_id, b.base + 2 * e.k - 1, e.message_id, 'user', e.message_text, e.verified, e.client_message_id, e.created_at
  from eligible e join bumped b on b.id = e.conversation_id
  union all
  select e.conversation_id, b.base + 2 * e.k, e.reply_id, 'assistant', e.reply_text, e.reply_verified, e.client_message_id, e.created_at
  from eligible e join bumped b on b.id = e.conversation_id
  returning conversation_id, seq, author, id
), notified as (
  -- In seq order, so a listener hears a conversation's messages in the order they were numbered.
  select pg_notify('halo_events', json_build_array('m', project, conversation_id, owner, seq, id, author)::text)
  from (
    select c.project, s.conversation_id, c.owner, s.seq, s.id, s.author
    from stored s join conversations c on c.id = s.conversation_id order by s.conversation_id, s.seq
  ) ordered
)
select e.i, null::text as full, e.reply_id, (b.base + 2 * e.k)::int as reply_seq, e.reply_text, e.reply_verified, e.client_message_id, e.created_at
from eligible e join bumped b on b.id = e.conversation_id
union all
select i, null, reply_id, reply_seq, reply_text, reply_verified, client_message_id, created_at from earlier
union all
select e.i, case when c.last_seq + 2 * cnt.n > $13 then 'messages' else 'bytes' end, null, null, null, null, null, null
from eligible e join counted cnt on cnt.conversation_id = e.conversation_id join conversations c on c.id = e.conversation_id
where not exists (select 1 from bumped b where b.id = e.conversation_id)
union all
-- Row 0 makes the notifications run (a CTE nobody reads would not); it is no answer.
select 0, null, null, null, null, null, null, null from (select count(*) from notified) z`;

/** Opens many chats in one round trip: one answer per input, in order. */
export async function openChats(client: SqlClient, inputs: OpenInput[]): Promise<(OpenRow | null)[]> {
  const { rows } = await client.query<OpenRow & { i: string | number }>(OPEN, [
    inputs.map((input) => input.project),
    inputs.map((input) => input.owner),
    inputs.map((input) => input.requested),
    inputs.map((input) => input.clientMessageId),
    inputs.map((input) => input.fresh),
  ]);
  const answers: (OpenRow | null)[] = inputs.map(() => null);
  for (const row of rows) answers[Number(row.i) - 1] = row;
  return answers;
}

const retryKey = (conversationId: string, clientMessageId: string): string => `${conversationId}\0${clientMessageId}`;

/** A reply row, or the cap an exchange would have passed. */
export type AppendAnswer = ReplyRow | { full: 'messages' | 'bytes' } | null;

/** Caps per conversation, as the APPEND statement checks them. */
export interface AppendCaps {
  maxMessages: number;
  maxBytes: number;
}

// A unique key hit: another statement committed the same retry while this one waited.
const UNIQUE_VIOLATION = '23505';
const RUNS = 3;

/**
 * Stores many exchanges in one round trip (one statement, one commit): one answer per input,
 * in order — the reply row stored, the earlier one for a `client_message_id` already answered,
 * `full` past the caps, `null` for a guarded exchange whose identity changed. Two inputs with
 * one conversation and client message id go in once and both get that row. Run again (up to
 * three times) when another statement committed one of its retries meanwhile.
 */
export async function appendExchanges(client: SqlClient, inputs: AppendInput[], caps: AppendCaps): Promise<AppendAnswer[]> {
  const unique: AppendInput[] = [];
  const firstOf = new Map<string, number>();
  const slot: number[] = [];
  for (const input of inputs) {
    const key = input.clientMessageId === null ? null : retryKey(input.conversationId, input.clientMessageId);
    const seen = key === null ? undefined : firstOf.get(key);
    if (seen !== undefined) {
      slot.push(seen);
      continue;
    }
    if (key !== null) firstOf.set(key, unique.length);
    slot.push(unique.length);
    unique.push(input);
  }
  const column = <K extends keyof AppendInput>(key: K) => unique.map((input) => input[key]);
  const guard = <K extends 'project' | 'owner' | 'version'>(key: K) => unique.map((input) => input.guard?.[key] ?? null);
  const params = [
    column('conversationId'),
    column('clientMessageId'),
    column('messageId'),
    column('messageText'),
    column('verified'),
    column('replyId'),
    column('replyText'),
    column('replyVerified'),
    column('createdAt'),
    guard('project'),
    guard('owner'),
    guard('version'),
    caps.maxMessages,
    caps.maxBytes,
  ];
  for (let run = 1; ; run++) {
    let rows: (ReplyRow & { i: string | number; full: 'messages' | 'bytes' | null })[];
    try {
      ({ rows } = await client.query<ReplyRow & { i: string | number; full: 'messages' | 'bytes' | null }>(APPEND, params));
    } catch (error) {
      if (run < RUNS && (error as { code?: unknown }).code === UNIQUE_VIOLATION) continue;
      throw error;
    }
    const answers: AppendAnswer[] = unique.map(() => null);
    for (const row of rows) if (Number(row.i) > 0) answers[Number(row.i) - 1] = row.full ? { full: row.full } : row;
    return inputs.map((input, n) => {
      const answer = answers[slot[n]!]!;
      if (answer === null && !input.guard) throw new Error('an exchange of the batch came back without its row');
      return answer;
    });
  }
}
