import type { AgentAccount, AgentStore, CredentialRecord, StoredAgent } from './agent-store.js';
import { publicAgent } from './agent-store.js';

/** What the SQL agent store needs of the database client (the shared `SqlClient` fits). */
export interface AgentSqlClient {
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<{ rows: Row[] }>;
}

interface AgentRow {
  id: string;
  email: string;
  name: string;
  role: AgentAccount['role'];
  projects: string[] | null;
  password_hash: string;
  created_at: Date | string;
}
interface CredentialRow {
  hash: string;
  agent_id: string;
  kind: CredentialRecord['kind'];
  created_at: Date | string;
  last_used_at: Date | string;
}

const iso = (value: Date | string) => new Date(value).toISOString();
const AGENT_COLUMNS = 'id, email, name, role, projects, password_hash, created_at';
const toAgent = (row: AgentRow): StoredAgent => ({
  id: row.id,
  email: row.email,
  name: row.name,
  role: row.role,
  projects: row.projects,
  passwordHash: row.password_hash,
  createdAt: iso(row.created_at),
});

/** The {@link AgentStore} on the server's database (PostgreSQL or the embedded PGlite). */
export function createSqlAgentStore(client: AgentSqlClient): AgentStore {
  const one = async (where: string, value: string) =>
    (await client.query<AgentRow>(`select ${AGENT_COLUMNS} from agent_accounts where ${where} = $1`, [value])).rows.map(toAgent)[0] ?? null;
  return {
    createAgent: async (a) => {
      const { rows } = await client.query(
        `insert into agent_accounts (${AGENT_COLUMNS}) values ($1, $2, $3, $4, $5::jsonb, $6, $7) on conflict do nothing returning id`,
        [a.id, a.email, a.name, a.role, a.projects === null ? null : JSON.stringify(a.projects), a.passwordHash, a.createdAt],
      );
      return rows.length === 1;
    },
    findAgentByEmail: (email) => one('email', email),
    getAgent: (id) => one('id', id),
    listAgents: async () =>
      (await client.query<AgentRow>(`select ${AGENT_COLUMNS} from agent_accounts order by email`)).rows.map((r) => publicAgent(toAgent(r))),
    addCredential: async (c) => {
      await client.query('insert into agent_credentials (hash, agent_id, kind, created_at, last_used_at) values ($1, $2, $3, $4, $5)', [
        c.hash,
        c.agentId,
        c.kind,
        c.createdAt,
        c.lastUsedAt,
      ]);
    },
    getCredential: async (hash) => {
      const { rows } = await client.query<CredentialRow>(
        'select hash, agent_id, kind, created_at, last_used_at from agent_credentials where hash = $1',
        [hash],
      );
      const row = rows[0];
      return row
        ? { hash: row.hash, agentId: row.agent_id, kind: row.kind, createdAt: iso(row.created_at), lastUsedAt: iso(row.last_used_at) }
        : null;
    },
    touchCredential: async (hash, at) => {
      await client.query('update agent_credentials set last_used_at = $2 where hash = $1', [hash, at]);
    },
    deleteCredential: async (hash) => {
      await client.query('delete from agent_credentials where hash = $1', [hash]);
    },
    deleteCredentialsOf: async (agentId, kind) => {
      await client.query('delete from agent_credentials where agent_id = $1 and kind = $2', [agentId, kind]);
    },
  };
}
