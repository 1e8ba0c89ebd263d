import type { Migration } from './migrations.js';

/**
 * The support side's schema (docs/decisions/0810): one row per message with a gap-free `seq`
 * per conversation, the conversation's state for the inbox, and who the user is (verified
 * claims, first seen). Moves every stored exchange into two messages, so an existing database
 * keeps its history; then drops the `exchanges` table and the `messages` view over it.
 */
export const MESSAGE_MIGRATIONS: readonly Migration[] = [
  {
    version: 3,
    name: 'messages',
    sql: `
      drop view messages;

      -- One row per message. seq runs 1, 2, 3 … in its conversation without gaps: each write
      -- bumps conversations.last_seq in the statement that inserts, so two writes to one
      -- conversation take turns on its row and commit in seq order. A (author,
      -- client_message_id) pair is stored once per conversation: a chat's message and its
      -- reply share the client's id; an AI or agent message has its own.
      create table messages (
        conversation_id text not null references conversations (id) on delete cascade,
        seq integer not null,
        id text not null,
        author text not null check (author in ('user', 'assistant', 'agent')),
        agent_id text,
        agent_name text,
        text text not null,
        verified boolean not null default true,
        client_message_id text,
        usage json,
        created_at timestamptz not null,
        primary key (conversation_id, seq)
      );
      create unique index messages_client_id on messages (conversation_id, author, client_message_id);

      alter table conversations
        add column status text not null default 'open' check (status in ('open', 'resolved')),
        add column needs_human boolean not null default false,
        add column assignee text,
        add column last_seq integer not null default 0,
        add column bytes bigint not null default 0,
        add column last_message_at timestamptz;

      insert into messages (conversation_id, seq, id, author, text, verified, client_message_id, created_at)
      select conversation_id, 2 * row_number() over w - 1, message_id, 'user', message_text, verified, client_message_id, created_at
        from exchanges window w as (partition by conversation_id order by n)
      union all
      select conversation_id, 2 * row_number() over w, reply_id, 'assistant', reply_text, reply_verified, client_message_id, created_at
        from exchanges window w as (partition by conversation_id order by n);

      update conversations c set last_seq = m.last_seq, bytes = m.bytes, last_message_at = m.at
      from (
        select conversation_id, max(seq) as last_seq, sum(octet_length(text)) as bytes, max(created_at) as at
        from messages group by conversation_id
      ) m
      where c.id = m.conversation_id;
      update conversations set last_message_at = created_at where last_message_at is null;
      alter table conversations alter column last_message_at set default now(), alter column last_message_at set not null;
      drop table exchanges;

      -- The inbox: newest activity first per project, with or without a status filter.
      create index conversations_inbox on conversations (project, last_message_at desc, id desc);
      create index conversations_inbox_status on conversations (project, status, last_message_at desc, id desc);

      -- Who the user is: the claims of the latest request whose token verified (json keeps
      -- their order), when they came, and when the identity was first seen. search is what the
      -- inbox's q matches: the owner, and the name and email of the claims and client traits.
      alter table identities
        add column claims json,
        add column claims_at timestamptz,
        add column created_at timestamptz;
      update identities x set created_at = coalesce(
        (select min(c.created_at) from conversations c where c.project = x.project and c.owner = x.owner), x.updated_at);
      alter table identities alter column created_at set default now(), alter column created_at set not null;
      alter table identities add column search text generated always as (lower(
        owner || ' ' || coalesce(claims ->> 'name', '') || ' ' || coalesce(claims ->> 'email', '') || ' ' ||
        coalesce(traits -> 'name' ->> 'value', '') || ' ' || coalesce(traits -> 'email' ->> 'value', ''))) stored;

      -- A substring search wants a trigram index: PostgreSQL's contrib (Debian's postgresql
      -- package has it) provides pg_trgm; where it cannot be created (PGlite without the
      -- extension loaded, a role that may not create extensions) the search scans the
      -- project's identities instead.
      do $$
      begin
        create extension if not exists pg_trgm;
        create index identities_search on identities using gin (search gin_trgm_ops);
      exception when others then
        raise notice 'pg_trgm is not available: the inbox search scans (%)', sqlerrm;
      end
      $$;
    `,
  },
];
