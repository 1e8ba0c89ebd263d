import {
  USERS_PER_BUCKET,
  VERSIONS_PER_BUCKET,
  type AdminStore,
  type AuditEntry,
  type IdentityResult,
  type IdentityRows,
  type ProjectSettings,
  type SecretRecord,
} from './admin-store.js';
import type { AiConfig } from '../ai/ai-config.js';

/** What the SQL admin store needs of the database client (the shared `SqlClient` fits). */
export interface AdminSqlQueryable {
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<{ rows: Row[] }>;
}

/** A client that can also run a transaction. */
export interface AdminSqlClient extends AdminSqlQueryable {
  transaction<T>(fn: (tx: AdminSqlQueryable) => Promise<T>): Promise<T>;
}

interface ProjectRow {
  widget_key: string;
  mode: ProjectSettings['mode'];
  allowed_origins: string[] | null;
  max_token_lifetime: string | null;
  ai: AiConfig | null;
  updated_at: Date | string;
}
interface SecretRow {
  id: string;
  widget_key: string;
  secret: string;
  created_at: Date | string;
  retired_at: Date | string | null;
}

const iso = (value: Date | string) => new Date(value).toISOString();
const ms = (value: Date | string) => new Date(value).getTime();
const PROJECT_COLUMNS = 'widget_key, mode, allowed_origins, max_token_lifetime, updated_at, ai';
const SECRET_COLUMNS = 'id, widget_key, secret, created_at, retired_at';

function toSettings(row: ProjectRow, secrets: SecretRow[]): ProjectSettings {
  return {
    widgetKey: row.widget_key,
    mode: row.mode,
    allowedOrigins: row.allowed_origins,
    maxTokenLifetime: row.max_token_lifetime,
    ai: row.ai ?? null,
    updatedAt: iso(row.updated_at),
    secrets: secrets
      .filter((s) => s.widget_key === row.widget_key)
      .map((s): SecretRecord => ({
        id: s.id,
        secret: s.secret,
        createdAt: iso(s.created_at),
        retiredAt: s.retired_at === null ? null : iso(s.retired_at),
      })),
  };
}

async function writeProject(tx: AdminSqlQueryable, project: ProjectSettings, insert: boolean): Promise<boolean> {
  const params = [
    project.widgetKey,
    project.mode,
    project.allowedOrigins === null ? null : JSON.stringify(project.allowedOrigins),
    project.maxTokenLifetime,
    project.updatedAt,
    project.ai ? JSON.stringify(project.ai) : null,
  ];
  if (insert) {
    const { rows } = await tx.query(
      `insert into admin_projects (${PROJECT_COLUMNS}) values ($1, $2, $3::jsonb, $4, $5, $6::jsonb) on conflict (widget_key) do nothing returning widget_key`,
      params,
    );
    if (!rows.length) return false;
  } else {
    await tx.query(
      'update admin_projects set mode = $2, allowed_origins = $3::jsonb, max_token_lifetime = $4, updated_at = $5, ai = $6::jsonb where widget_key = $1',
      params,
    );
  }
  // Secrets are never deleted: a retired one stays listed, its value blanked.
  for (const s of project.secrets) {
    await tx.query(
      `insert into admin_secrets (${SECRET_COLUMNS}) values ($1, $2, $3, $4, $5)
       on conflict (id) do update set secret = excluded.secret, retired_at = excluded.retired_at`,
      [s.id, project.widgetKey, s.secret, s.createdAt, s.retiredAt],
    );
  }
  return true;
}

const audit = (tx: AdminSqlQueryable, entry: AuditEntry) =>
  tx.query('insert into admin_audit (widget_key, at, actor, action, detail) values ($1, $2, $3, $4, $5::jsonb)', [
    entry.widgetKey,
    entry.at,
    entry.actor,
    entry.action,
    JSON.stringify(entry.detail),
  ]);

/**
 * The {@link AdminStore} on PostgreSQL or PGlite (the tables of `ADMIN_MIGRATIONS`): every
 * instance on one database shares the settings, the audit log and the report's counts. A
 * change locks its project's row (`for update`), so two operators' changes never interleave.
 */
export function createSqlAdminStore(client: AdminSqlClient): AdminStore {
  return {
    async listProjects() {
      const projects = await client.query<ProjectRow>(`select ${PROJECT_COLUMNS} from admin_projects order by widget_key`);
      const secrets = await client.query<SecretRow>(`select ${SECRET_COLUMNS} from admin_secrets order by created_at, id`);
      return projects.rows.map((row) => toSettings(row, secrets.rows));
    },
    async getProject(widgetKey) {
      const { rows } = await client.query<ProjectRow>(`select ${PROJECT_COLUMNS} from admin_projects where widget_key = $1`, [widgetKey]);
      if (!rows[0]) return null;
      const secrets = await client.query<SecretRow>(
        `select ${SECRET_COLUMNS} from admin_secrets where widget_key = $1 order by created_at, id`,
        [widgetKey],
      );
      return toSettings(rows[0], secrets.rows);
    },
    createProject: (project, entry) =>
      client.transaction(async (tx) => {
        if (!(await writeProject(tx, project, true))) return false;
        await audit(tx, entry);
        return true;
      }),
    mutateProject: (widgetKey, change, at) =>
      client.transaction(async (tx) => {
        const { rows } = await tx.query<ProjectRow>(`select ${PROJECT_COLUMNS} from admin_projects where widget_key = $1 for update`, [
          widgetKey,
        ]);
        if (!rows[0]) return null;
        const secrets = await tx.query<SecretRow>(
          `select ${SECRET_COLUMNS} from admin_secrets where widget_key = $1 order by created_at, id`,
          [widgetKey],
        );
        const { next, audit: line, result } = change(toSettings(rows[0], secrets.rows));
        await writeProject(tx, { ...next, widgetKey, updatedAt: at }, false);
        await audit(tx, { ...line, at, widgetKey });
        return result;
      }),
    async listAudit(widgetKey, limit) {
      const { rows } = await client.query<{
        widget_key: string;
        at: Date | string;
        actor: string;
        action: string;
        detail: Record<string, unknown>;
      }>('select widget_key, at, actor, action, detail from admin_audit where widget_key = $1 order by n desc limit $2', [
        widgetKey,
        limit,
      ]);
      return rows.map((row) => ({ widgetKey: row.widget_key, at: iso(row.at), actor: row.actor, action: row.action, detail: row.detail }));
    },
    addIdentityBatches: (batches) =>
      client.transaction(async (tx) => {
        for (const batch of batches) {
          const hour = new Date(batch.hour).toISOString();
          for (const [result, count] of Object.entries(batch.counts)) {
            await tx.query(
              `insert into identity_counts (widget_key, hour, result, count) values ($1, $2, $3, $4)
               on conflict (widget_key, hour, result) do update set count = identity_counts.count + excluded.count`,
              [batch.widgetKey, hour, result, count],
            );
          }
          for (const [result, ids] of Object.entries(batch.users)) {
            if (!ids?.length) continue;
            // Only as many ids not yet stored as the bucket has room for: storage stays bounded.
            await tx.query(
              `insert into identity_users (widget_key, hour, result, user_id)
               select $1::text, $2::timestamptz, $3::text, u.id
               from (select t.id, row_number() over () as i from unnest($4::text[]) as t(id)
                     where not exists (select 1 from identity_users x where x.widget_key = $1 and x.hour = $2 and x.result = $3 and x.user_id = t.id)) as u
               where u.i <= $5::int - (select count(*) from identity_users where widget_key = $1 and hour = $2 and result = $3)
               on conflict do nothing`,
              [batch.widgetKey, hour, result, ids, USERS_PER_BUCKET],
            );
          }
          for (const [version, count] of Object.entries(batch.versions)) {
            await tx.query(
              `insert into identity_versions (widget_key, hour, version, count)
               select $1::text, $2::timestamptz,
                      case when exists (select 1 from identity_versions where widget_key = $1 and hour = $2 and version = $3)
                             or (select count(*) from identity_versions where widget_key = $1 and hour = $2) < $5::int
                           then $3::text else 'other' end,
                      $4::bigint
               on conflict (widget_key, hour, version) do update set count = identity_versions.count + excluded.count`,
              [batch.widgetKey, hour, version, count, VERSIONS_PER_BUCKET],
            );
          }
        }
      }),
    async readIdentity(widgetKey, sinceHour) {
      const since = new Date(sinceHour).toISOString();
      const counts = await client.query<{ hour: Date; result: IdentityResult; count: string | number }>(
        'select hour, result, count from identity_counts where widget_key = $1 and hour >= $2',
        [widgetKey, since],
      );
      const users = await client.query<{ hour: Date; result: IdentityResult; user_id: string }>(
        'select hour, result, user_id from identity_users where widget_key = $1 and hour >= $2',
        [widgetKey, since],
      );
      const versions = await client.query<{ hour: Date; version: string; count: string | number }>(
        'select hour, version, count from identity_versions where widget_key = $1 and hour >= $2',
        [widgetKey, since],
      );
      const rows: IdentityRows = {
        counts: counts.rows.map((r) => ({ hour: ms(r.hour), result: r.result, count: Number(r.count) })),
        users: users.rows.map((r) => ({ hour: ms(r.hour), result: r.result, userId: r.user_id })),
        versions: versions.rows.map((r) => ({ hour: ms(r.hour), version: r.version, count: Number(r.count) })),
      };
      return rows;
    },
    async pruneIdentity(beforeHour) {
      const before = new Date(beforeHour).toISOString();
      for (const table of ['identity_counts', 'identity_users', 'identity_versions']) {
        await client.query(`delete from ${table} where hour < $1`, [before]);
      }
    },
  };
}
