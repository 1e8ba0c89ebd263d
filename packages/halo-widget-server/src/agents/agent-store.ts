/** What an account may do: `admin` = the inbox, the `/admin` settings and the agent accounts; `agent` = the inbox. */
export type AgentRole = 'admin' | 'agent';

/** A person on the support team. */
export interface AgentAccount {
  /** `agt_` + 16 hex characters. */
  id: string;
  /** Lower-cased; unique. */
  email: string;
  /** Shown to users next to the agent's replies. */
  name: string;
  role: AgentRole;
  /** The widget keys the account may see; null: every project. */
  projects: string[] | null;
  createdAt: string;
}

/** An account with its password hash: for the login check only, never answered. */
export interface StoredAgent extends AgentAccount {
  passwordHash: string;
}

/** A login session or a personal API token, as stored: only the SHA-256 of its secret is kept. */
export interface CredentialRecord {
  /** SHA-256 (hex) of the cookie value or the `hat_…` token. */
  hash: string;
  agentId: string;
  kind: 'session' | 'token';
  createdAt: string;
  /** Last use (refreshed at most once a minute): a session idle for longer than allowed ends. */
  lastUsedAt: string;
}

/**
 * Where agent accounts, sessions and API tokens live. The memory implementation serves one
 * process; the SQL one every instance on one database (the same tables on PostgreSQL and PGlite).
 */
export interface AgentStore {
  /** Inserts an account; resolves false when the email is taken. */
  createAgent(agent: StoredAgent): Promise<boolean>;
  findAgentByEmail(email: string): Promise<StoredAgent | null>;
  getAgent(id: string): Promise<StoredAgent | null>;
  listAgents(): Promise<AgentAccount[]>;
  addCredential(record: CredentialRecord): Promise<void>;
  getCredential(hash: string): Promise<CredentialRecord | null>;
  touchCredential(hash: string, at: string): Promise<void>;
  deleteCredential(hash: string): Promise<void>;
  /** Deletes an account's credentials of `kind` (all its sessions, e.g. at a password change). */
  deleteCredentialsOf(agentId: string, kind: CredentialRecord['kind']): Promise<void>;
}

/** Strips the password hash: what the API and the CLI show of an account. */
export function publicAgent({ passwordHash: _hash, ...agent }: StoredAgent): AgentAccount {
  return agent;
}
