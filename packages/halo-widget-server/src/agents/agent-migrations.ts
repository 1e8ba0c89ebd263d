/** A schema change of the agent tables, in the shape of the store's migration list. */
export interface AgentMigration {
  version: number;
  name: string;
  sql: string;
}

/** Agent accounts and their credentials (login sessions, personal API tokens). Versions 800–809. */
export const AGENT_MIGRATIONS: readonly AgentMigration[] = [
  {
    version: 800,
    name: 'agent accounts, sessions and API tokens',
    sql: `
      create table agent_accounts (
        id text primary key,
        email text not null unique,
        name text not null,
        role text not null check (role in ('admin', 'agent')),
        -- null: every project; else a JSON array of widget keys.
        projects jsonb,
        password_hash text not null,
        created_at timestamptz not null
      );

      -- Only the SHA-256 of a session cookie or an API token is kept: a copy of the table
      -- lets nobody log in.
      create table agent_credentials (
        hash text primary key,
        agent_id text not null references agent_accounts (id) on delete cascade,
        kind text not null check (kind in ('session', 'token')),
        created_at timestamptz not null,
        last_used_at timestamptz not null
      );
      create index agent_credentials_agent on agent_credentials (agent_id, kind);
    `,
  },
];
