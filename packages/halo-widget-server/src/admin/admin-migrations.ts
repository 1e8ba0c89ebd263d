/** A schema change of the admin tables, in the shape of the store's migration list. */
export interface AdminMigration {
  version: number;
  name: string;
  sql: string;
}

/**
 * The admin surface's tables, appended to the database's migration list: security settings
 * (projects, secrets), the audit log, and the rollout report's hour buckets. Versions 400+
 * leave room for the conversation store's own.
 */
export const ADMIN_MIGRATIONS: readonly AdminMigration[] = [
  {
    version: 400,
    name: 'admin settings and audit log',
    sql: `
      create table admin_projects (
        widget_key text primary key,
        -- null: the default (monitor once an active secret exists, else off).
        mode text check (mode in ('off', 'monitor', 'enforce')),
        -- null: any origin; else a JSON array of origins.
        allowed_origins jsonb,
        max_token_lifetime text,
        updated_at timestamptz not null default now()
      );

      -- The HMAC key must be readable to verify tokens, so an active secret is stored as
      -- written; a retired one is blanked, since nothing needs it again.
      create table admin_secrets (
        id text primary key,
        widget_key text not null references admin_projects (widget_key) on delete cascade,
        secret text not null,
        created_at timestamptz not null,
        retired_at timestamptz
      );
      create index admin_secrets_project on admin_secrets (widget_key, created_at, id);

      create table admin_audit (
        n bigint generated always as identity primary key,
        widget_key text not null,
        at timestamptz not null,
        actor text not null,
        action text not null,
        detail jsonb not null
      );
      create index admin_audit_project on admin_audit (widget_key, n desc);
    `,
  },
  {
    version: 401,
    name: 'identity report hour buckets',
    sql: `
      create table identity_counts (
        widget_key text not null,
        hour timestamptz not null,
        result text not null,
        count bigint not null,
        primary key (widget_key, hour, result)
      );
      -- Distinct users per bucket and result, at most USERS_PER_BUCKET rows each.
      create table identity_users (
        widget_key text not null,
        hour timestamptz not null,
        result text not null,
        user_id text not null,
        primary key (widget_key, hour, result, user_id)
      );
      create table identity_versions (
        widget_key text not null,
        hour timestamptz not null,
        version text not null,
        count bigint not null,
        primary key (widget_key, hour, version)
      );
      create index identity_counts_hour on identity_counts (hour);
      create index identity_users_hour on identity_users (hour);
      create index identity_versions_hour on identity_versions (hour);
    `,
  },
  {
    version: 402,
    name: 'admin project ai section',
    sql: `
      -- A project's "ai" section as set in /admin (null: none). It names the key's environment
      -- variable; the admin operations refuse a key or an identity secret in any of its fields.
      alter table admin_projects add column ai jsonb;
    `,
  },
];
