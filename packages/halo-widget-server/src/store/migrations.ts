import { MESSAGE_MIGRATIONS } from './message-migrations.js';

/** One schema change, applied once per database, in `version` order, inside a transaction. */
export interface Migration {
  /** Unique and increasing; the `schema_migrations` table records each one applied. */
  version: number;
  /** A short name, recorded next to the version. */
  name: string;
  /** One or more statements, no parameters; the same SQL must run on PostgreSQL and PGlite. */
  sql: string;
}

/**
 * The schema, as an ordered list: a feature that needs tables appends a migration with the
 * next version and never edits one already released (a database that applied it would not
 * see the change). `migrate()` applies what a database lacks, at start.
 */
export const CONVERSATION_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'conversations',
    sql: `
      create table conversations (
        id text primary key,
        project text not null,
        owner text not null,
        created_at timestamptz not null default now()
      );
      create index conversations_owner on conversations (project, owner);

      -- One row per identity of a project: its traits and the conversation a chat without
      -- conversation_id continues. The traits are json, not jsonb: json keeps the object as the
      -- API hands it over, key order included (the order is the order the traits were last
      -- sent in, which decides which are dropped first past the cap); jsonb sorts the keys.
      create table identities (
        project text not null,
        owner text not null,
        latest_conversation_id text references conversations (id),
        traits json,
        updated_at timestamptz not null default now(),
        primary key (project, owner)
      );

      -- One row per chat exchange: the user's message and the reply are stored, and found
      -- again for a repeated client_message_id, as one unit. The unique key makes a repeat
      -- atomic across instances; NULL client_message_ids never conflict.
      create table exchanges (
        n bigint generated always as identity primary key,
        conversation_id text not null references conversations (id) on delete cascade,
        client_message_id text,
        message_id text not null,
        message_text text not null,
        verified boolean not null default true,
        reply_id text not null,
        reply_text text not null,
        reply_verified boolean not null default true,
        created_at timestamptz not null,
        unique (conversation_id, client_message_id)
      );
      create index exchanges_history on exchanges (conversation_id, n);

      -- The messages as the wire protocol lists them, for people reading the database.
      create view messages as
        select conversation_id, n, 0 as part, message_id as id, 'user' as role, message_text as text, created_at, verified
          from exchanges
        union all
        select conversation_id, n, 1 as part, reply_id as id, 'assistant' as role, reply_text as text, created_at, reply_verified as verified
          from exchanges;
    `,
  },
  {
    version: 2,
    name: 'identity-version',
    // Counts the changes of an identity row (traits, latest conversation). A server that kept
    // what it read of an identity writes a chat only if the row is still at the version it
    // read (chat-exchange.ts): another instance's change is never answered from a stale copy.
    sql: `alter table identities add column version bigint not null default 0;`,
  },
  // Messages with a per-conversation seq, the conversation's inbox state, verified claims.
  ...MESSAGE_MIGRATIONS,
  {
    version: 900,
    name: 'ai-in-reply-to',
    // An AI reply names the newest user message it answered: the next reply knows what is
    // answered, and the prompt puts the reply after it (docs/decisions/0600).
    sql: `alter table messages add column in_reply_to text;`,
  },
];
