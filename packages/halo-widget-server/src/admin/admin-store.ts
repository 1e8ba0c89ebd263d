import type { AiConfig } from '../ai/ai-config.js';
import type { IdentityOutcome, VerificationMode } from '../types.js';

/** One identity secret of a project. `secret` is emptied when the secret is retired. */
export interface SecretRecord {
  /** `sec_` + 12 hex characters: how the page, the API and the audit log name the secret. */
  id: string;
  /** `ha_secret_…` while active; `''` once retired (a retired secret is never needed again). */
  secret: string;
  /** ISO time. */
  createdAt: string;
  /** ISO time, or null while the secret verifies tokens. */
  retiredAt: string | null;
}

/** A project's security settings as stored. */
export interface ProjectSettings {
  widgetKey: string;
  secrets: SecretRecord[];
  /** null: the default (`monitor` once an active secret exists, else `off`). */
  mode: VerificationMode | null;
  /** null: any origin. */
  allowedOrigins: string[] | null;
  /** A span such as `24h`; null: no limit beyond the token's own `exp`. */
  maxTokenLifetime: string | null;
  /**
   * The AI replies section as set (checked by `resolveAiConfig`, defaults not filled in): the
   * NAME of the key's environment variable, never a key. Absent or null: none (docs/ai.md).
   */
  ai?: AiConfig | null;
  /** ISO time of the last change. */
  updatedAt: string;
}

/** One line of the audit log: who changed what, when. Never holds a secret's value. */
export interface AuditEntry {
  at: string;
  widgetKey: string;
  /** Who: the operator's label and address, e.g. `admin page from 127.0.0.1`. */
  actor: string;
  /** e.g. `project.create`, `secret.generate`, `secret.retire`, `settings.update`. */
  action: string;
  /** What changed: ids, modes, origins — names and values that are not secrets. */
  detail: Record<string, unknown>;
}

/** The `Halo-Identity` outcome of one request, as the rollout report counts it. */
export type IdentityResult = IdentityOutcome;

/** Every {@link IdentityResult}, in the report's order. */
export const IDENTITY_RESULTS: readonly IdentityResult[] = [
  'verified',
  'token_missing',
  'token_expired',
  'token_invalid',
  'user_mismatch',
  'anonymous',
  'verification_off',
];

/** What one instance counted for one project in one hour bucket, written in one go. */
export interface IdentityBatch {
  widgetKey: string;
  /** Start of the hour bucket, epoch ms. */
  hour: number;
  counts: Partial<Record<IdentityResult, number>>;
  /** Distinct user ids seen per result (at most {@link USERS_PER_BUCKET} each). */
  users: Partial<Record<IdentityResult, string[]>>;
  /** Requests per SDK version string (`unknown` when the client sent none). */
  versions: Record<string, number>;
}

/** The stored rows of a project's report since an hour bucket. */
export interface IdentityRows {
  counts: { hour: number; result: IdentityResult; count: number }[];
  users: { hour: number; result: IdentityResult; userId: string }[];
  versions: { hour: number; version: string; count: number }[];
}

/** User ids kept per project, hour and result: the storage bound of the distinct-user counts. */
export const USERS_PER_BUCKET = 200;
/** SDK version strings kept per project and hour; more are counted as `other`. */
export const VERSIONS_PER_BUCKET = 20;
/** How long hour buckets are kept. */
export const REPORT_RETENTION_MS = 7 * 24 * 3600_000;

/** What a settings change returns: the new settings, the audit line, and a value for the caller. */
export interface Mutation<T> {
  next: ProjectSettings;
  audit: Omit<AuditEntry, 'at' | 'widgetKey'>;
  result: T;
}

/**
 * Where the security settings, the audit log and the rollout report's counters live. The
 * memory implementation serves one process; the SQL one every instance on one database.
 */
export interface AdminStore {
  listProjects(): Promise<ProjectSettings[]>;
  getProject(widgetKey: string): Promise<ProjectSettings | null>;
  /** Inserts a project and its audit line unless the key exists; resolves whether it was inserted. */
  createProject(project: ProjectSettings, audit: AuditEntry): Promise<boolean>;
  /**
   * Reads a project, applies `change` and writes the result with its audit line, atomically
   * (no other change to the project in between). Resolves null for an unknown key. `change`
   * may throw to refuse the change; nothing is written then.
   */
  mutateProject<T>(widgetKey: string, change: (current: ProjectSettings) => Mutation<T>, at: string): Promise<T | null>;
  /** The newest `limit` audit lines of a project, newest first. */
  listAudit(widgetKey: string, limit: number): Promise<AuditEntry[]>;
  /** Adds counted batches to the stored hour buckets (counts summed, users and versions bounded). */
  addIdentityBatches(batches: IdentityBatch[]): Promise<void>;
  /** A project's rows whose hour bucket starts at or after `sinceHour`. */
  readIdentity(widgetKey: string, sinceHour: number): Promise<IdentityRows>;
  /** Deletes hour buckets that start before `beforeHour`. */
  pruneIdentity(beforeHour: number): Promise<void>;
}
