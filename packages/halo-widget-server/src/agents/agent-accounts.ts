import { createHash, randomBytes } from 'node:crypto';
import { ApiError } from '../http/http.js';
import { publicAgent, type AgentAccount, type AgentRole, type AgentStore } from './agent-store.js';
import { hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from './password.js';

/** What creates an account (the CLI's `agents add`, an admin in the page). */
export interface NewAgent {
  email: string;
  name: string;
  role: AgentRole;
  /** Widget keys; null or absent: every project. */
  projects?: string[] | null;
  password: string;
}

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,190}$/;
const WIDGET_KEY = /^[A-Za-z0-9_-]{1,128}$/;

/** The SHA-256 (hex) under which a session or token is stored. */
export const credentialHash = (secret: string): string => createHash('sha256').update(secret, 'utf8').digest('hex');

/** A fresh random secret: 32 bytes, base64url. */
export const newSecret = (): string => randomBytes(32).toString('base64url');

/** Checks and normalises a new account; a wrong field is a 400 naming it (never echoing the password). */
export function checkNewAgent(input: Record<string, unknown>): NewAgent {
  const bad = (message: string) => new ApiError(400, 'invalid_request', message);
  const email = typeof input.email === 'string' ? input.email.trim().toLowerCase() : '';
  if (!EMAIL.test(email)) throw bad('`email` must be an email address.');
  const name = typeof input.name === 'string' ? input.name.trim() : '';
  if (!name || name.length > 80) throw bad('`name` must be 1–80 characters.');
  if (input.role !== 'admin' && input.role !== 'agent') throw bad('`role` must be "admin" or "agent".');
  let projects: string[] | null = null;
  if (input.projects !== undefined && input.projects !== null) {
    if (!Array.isArray(input.projects) || input.projects.length === 0 || input.projects.length > 100)
      throw bad('`projects` must be a non-empty list of widget keys, or null for every project.');
    if (!input.projects.every((k) => typeof k === 'string' && WIDGET_KEY.test(k))) throw bad('`projects` holds a malformed widget key.');
    projects = [...new Set(input.projects as string[])];
  }
  const password = typeof input.password === 'string' ? input.password : '';
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH)
    throw bad(`The password must be ${MIN_PASSWORD_LENGTH}–${MAX_PASSWORD_LENGTH} characters.`);
  return { email, name, role: input.role, projects, password };
}

/** Creates an account (password hashed with scrypt); 409 when the email is taken. */
export async function createAgent(store: AgentStore, input: NewAgent, now = new Date()): Promise<AgentAccount> {
  const agent = {
    id: `agt_${randomBytes(8).toString('hex')}`,
    email: input.email,
    name: input.name,
    role: input.role,
    projects: input.projects ?? null,
    passwordHash: await hashPassword(input.password),
    createdAt: now.toISOString(),
  };
  if (!(await store.createAgent(agent))) throw new ApiError(409, 'conflict', `An account with the email ${input.email} exists.`);
  return publicAgent(agent);
}

/**
 * Issues a personal API token (`hat_…`) for an account: returned once, stored as its SHA-256
 * only. It acts as the account (role and projects) until the account is deleted.
 */
export async function issueApiToken(store: AgentStore, agentId: string, now = new Date()): Promise<string> {
  const token = `hat_${newSecret()}`;
  const at = now.toISOString();
  await store.addCredential({ hash: credentialHash(token), agentId, kind: 'token', createdAt: at, lastUsedAt: at });
  return token;
}

/** Whether `agent` may see `project`'s conversations. */
export const canSee = (agent: Pick<AgentAccount, 'projects'>, project: string): boolean =>
  agent.projects === null || agent.projects.includes(project);
