import type { AgentStore, CredentialRecord, StoredAgent } from './agent-store.js';
import { publicAgent } from './agent-store.js';

/** Credentials kept at most in memory: the oldest go first (a session then has to log in again). */
const MAX_CREDENTIALS = 10_000;

/** The in-memory {@link AgentStore}: one process; accounts and sessions are lost at exit. */
export function createMemoryAgentStore(): AgentStore {
  const agents = new Map<string, StoredAgent>();
  const credentials = new Map<string, CredentialRecord>();
  return {
    createAgent: async (agent) => {
      if ([...agents.values()].some((a) => a.email === agent.email)) return false;
      agents.set(agent.id, structuredClone(agent));
      return true;
    },
    findAgentByEmail: async (email) => structuredClone([...agents.values()].find((a) => a.email === email) ?? null),
    getAgent: async (id) => structuredClone(agents.get(id) ?? null),
    listAgents: async () => [...agents.values()].map((a) => publicAgent(structuredClone(a))),
    addCredential: async (record) => {
      credentials.set(record.hash, { ...record });
      if (credentials.size > MAX_CREDENTIALS) credentials.delete(credentials.keys().next().value!);
    },
    getCredential: async (hash) => {
      const record = credentials.get(hash);
      return record ? { ...record } : null;
    },
    touchCredential: async (hash, at) => {
      const record = credentials.get(hash);
      if (record) record.lastUsedAt = at;
    },
    deleteCredential: async (hash) => {
      credentials.delete(hash);
    },
    deleteCredentialsOf: async (agentId, kind) => {
      for (const [hash, record] of credentials) if (record.agentId === agentId && record.kind === kind) credentials.delete(hash);
    },
  };
}
