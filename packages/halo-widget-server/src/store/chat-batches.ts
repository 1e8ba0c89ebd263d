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

/** The reply already on record for a retry, as the exchanges table holds it. */
export interface ReplyRow {
  reply_id: string;
  reply_text: string;
  reply_verified: boolean;
  created_at: Date | string;
}

/** What a chat's opening found; `null` when the named conversation is not the identity's. */
export interface OpenRow extends Partial<ReplyRow> {
  id: string;
  traits: Record<string, unknown> | null;
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
  select input.i, x.latest_conversation_id as id, x.traits, x.version
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
  returning project, owner, latest_conversation_id as id, traits, version
), chosen as (
  select i, id, traits, version from found
  union all
  select input.i, linked.id, linked.traits, linked.version
  from input join linked on linked.project = input.project and linked.owner = input.owner
  where input.requested is null
  union all
  select input.i, c.id, x.traits, x.version
  from input join conversations c on c.id = input.requested and c.project = input.project and c.owner = input.owner
  left join identities x on x.project = c.project and x.owner = c.owner
)
select chosen.i, chosen.id, chosen.traits, chosen.version, e.reply_id, e.reply_text, e.reply_verified, e.created_at
from chosen join input on input.i = chosen.i
left join exchanges e on e.conversation_id = chosen.id and e.client_message_id = input.cmid`;

// Many exchanges in one statement. A repeated client_message_id conflicts on the unique key;
// DO UPDATE (a no-op) then returns the row already stored — also one another instance
// committed while this statement waited, which a SELECT in the same statement would not see.
// A guarded exchange goes in only while its identity's row is at the version it names and the
// conversation is that identity's (history-isolation, checked in SQL on every write, whatever
// the server kept); one that does not comes back without a row.
const APPEND = `
with input as (
  select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::boolean[], $6::text[], $7::text[], $8::boolean[], $9::timestamptz[],
    $10::text[], $11::text[], $12::bigint[])
    as t(conversation_id, client_message_id, message_id, message_text, verified, reply_id, reply_text, reply_verified, created_at, project, owner, version)
)
insert into exchanges (conversation_id, client_message_id, message_id, message_text, verified, reply_id, reply_text, reply_verified, created_at)
select conversation_id, client_message_id, message_id, message_text, verified, reply_id, reply_text, reply_verified, created_at
from input
where input.version is null
  or exists (
    select 1 from identities x join conversations c on c.project = x.project and c.owner = x.owner
    where x.project = input.project and x.owner = input.owner and x.version = input.version and c.id = input.conversation_id
  )
on conflict (conversation_id, client_message_id) do update set client_message_id = excluded.client_message_id
returning conversation_id, client_message_id, message_id, reply_id, reply_text, reply_verified, created_at`;

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

/**
 * Stores many exchanges in one round trip (one statement, one commit): one reply row per
 * input, in order — the earlier one for a `client_message_id` already answered, `null` for a
 * guarded exchange whose identity changed. Two inputs with one conversation and client
 * message id go in once (a statement cannot conflict with itself) and both get that row.
 * Stored ids never hold U+0000 (`storableId`), so the keys are unique.
 */
export async function appendExchanges(client: SqlClient, inputs: AppendInput[]): Promise<(ReplyRow | null)[]> {
  const unique: AppendInput[] = [];
  const seen = new Set<string>();
  for (const input of inputs) {
    if (input.clientMessageId === null) unique.push(input);
    else if (!seen.has(retryKey(input.conversationId, input.clientMessageId))) {
      seen.add(retryKey(input.conversationId, input.clientMessageId));
      unique.push(input);
    }
  }
  const column = <K extends keyof AppendInput>(key: K) => unique.map((input) => input[key]);
  const guard = <K extends 'project' | 'owner' | 'version'>(key: K) => unique.map((input) => input.guard?.[key] ?? null);
  const { rows } = await client.query<ReplyRow & { conversation_id: string; client_message_id: string | null; message_id: string }>(
    APPEND,
    [
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
    ],
  );
  // Without a client message id a row is found by its own new message id, which no other row has.
  const byKey = new Map<string, ReplyRow>();
  for (const row of rows) {
    byKey.set(row.client_message_id === null ? row.message_id : retryKey(row.conversation_id, row.client_message_id), row);
  }
  return inputs.map((input) => {
    const row = byKey.get(input.clientMessageId === null ? input.messageId : retryKey(input.conversationId, input.clientMessageId));
    if (!row && !input.guard) throw new Error('an exchange of the batch came back without its row');
    return row ?? null;
  });
}
