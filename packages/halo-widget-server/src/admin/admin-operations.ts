import { randomBytes } from 'node:crypto';
import { defaultMode, isSecret } from 'halo-widget/protocol';
import type { VerificationMode } from '../types.js';
import { generateProjectKeys } from 'halo-widget/server';
import { ApiError } from '../http/http.js';
import type { AdminStore, AuditEntry, Mutation, ProjectSettings, SecretRecord } from './admin-store.js';
import type { AiConfig, RedactedAiConfig } from '../ai/ai-config.js';
import { aiAuditOf, aiViewOf } from './admin-ai.js';

const MODES: readonly VerificationMode[] = ['off', 'monitor', 'enforce'];
const MAX_ORIGINS = 50;
const LIFETIME = /^[1-9][0-9]{0,6}[smhd]$/;
const WIDGET_KEY = /^[A-Za-z0-9_-]{8,128}$/;

/** A secret as the page and the API show it after creation: never its value. */
export interface SecretView {
  id: string;
  /** The last four characters, so an operator can tell which secret a backend holds. */
  hint: string;
  createdAt: string;
  retiredAt: string | null;
}

/** A project's settings as the admin API answers them. */
export interface ProjectView {
  widgetKey: string;
  /** The mode as set, or null for the default. */
  mode: VerificationMode | null;
  /** The mode that applies now (verification-modes: `monitor` by default once a secret exists). */
  effectiveMode: VerificationMode;
  secrets: SecretView[];
  allowedOrigins: string[] | null;
  maxTokenLifetime: string | null;
  /** The AI replies section, redacted: `apiKeySet` says whether the named variable is set here. null: none. */
  ai: RedactedAiConfig | null;
  updatedAt: string;
}

/** The fields `PATCH …/settings` may change; an absent field is left as it is. */
export interface SettingsPatch {
  mode?: VerificationMode | null;
  allowedOrigins?: string[] | null;
  maxTokenLifetime?: string | null;
}

const bad = (message: string) => new ApiError(400, 'invalid_request', message);
const conflict = (message: string) => new ApiError(409, 'conflict', message);
const activeSecrets = (project: ProjectSettings) => project.secrets.filter((s) => s.retiredAt === null);

/** The mode that applies: as set, else `monitor` once an active secret exists, else `off`. */
export function effectiveMode(project: ProjectSettings): VerificationMode {
  return project.mode ?? defaultMode(activeSecrets(project).length > 0);
}

/** The settings without any secret's value. */
export function viewOf(project: ProjectSettings): ProjectView {
  return {
    widgetKey: project.widgetKey,
    mode: project.mode,
    effectiveMode: effectiveMode(project),
    secrets: project.secrets.map((s) => ({
      id: s.id,
      hint: s.retiredAt ? '' : s.secret.slice(-4),
      createdAt: s.createdAt,
      retiredAt: s.retiredAt,
    })),
    allowedOrigins: project.allowedOrigins,
    maxTokenLifetime: project.maxTokenLifetime,
    ai: aiViewOf(project),
    updatedAt: project.updatedAt,
  };
}

/** A new secret record from the OS's CSPRNG. */
export function newSecretRecord(at: string, secret = generateProjectKeys().identitySecret): SecretRecord {
  return { id: `sec_${randomBytes(6).toString('hex')}`, secret, createdAt: at, retiredAt: null };
}

function checkOrigins(value: unknown): string[] | null {
  if (value === null) return null;
  if (!Array.isArray(value) || value.length > MAX_ORIGINS)
    throw bad(`\`allowedOrigins\` must be null (any origin) or an array of at most ${MAX_ORIGINS} origins.`);
  return (value as unknown[]).map((entry) => {
    if (entry === '*') return entry;
    let url: URL | null = null;
    try {
      url = typeof entry === 'string' ? new URL(entry) : null;
    } catch (error) {
      void error; // not a URL: refused below with the entry's text
    }
    const origin = typeof entry === 'string' ? entry.replace(/\/+$/, '') : '';
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.origin !== origin.toLowerCase()) {
      throw bad(`\`allowedOrigins\`: ${JSON.stringify(String(entry).slice(0, 100))} is not an origin such as https://app.example.com.`);
    }
    return url.origin;
  });
}

/** Checks a `PATCH …/settings` body; throws a 400 naming the field. */
export function parseSettingsPatch(body: Record<string, unknown>): SettingsPatch {
  const patch: SettingsPatch = {};
  for (const name of Object.keys(body)) {
    if (name !== 'mode' && name !== 'allowedOrigins' && name !== 'maxTokenLifetime') throw bad(`Unknown setting \`${name.slice(0, 40)}\`.`);
  }
  if (body.mode !== undefined) {
    if (body.mode !== null && !MODES.includes(body.mode as VerificationMode))
      throw bad('`mode` must be off, monitor, enforce or null (the default).');
    patch.mode = body.mode as VerificationMode | null;
  }
  if (body.allowedOrigins !== undefined) patch.allowedOrigins = checkOrigins(body.allowedOrigins);
  if (body.maxTokenLifetime !== undefined) {
    const span = body.maxTokenLifetime;
    if (span !== null && (typeof span !== 'string' || !LIFETIME.test(span)))
      throw bad('`maxTokenLifetime` must be null or a span such as 15m, 24h, 7d.');
    patch.maxTokenLifetime = span as string | null;
  }
  return patch;
}

/**
 * The security-settings operations behind the admin API and the CLI. Each change is one
 * atomic store write with its audit line; an unknown project is a 404, a change that would
 * refuse every identified user (enforce without a secret, retiring the last one while
 * verifying) a 409.
 */
export function createAdminOperations(store: AdminStore, now: () => Date = () => new Date()) {
  const notFound = () => new ApiError(404, 'not_found', 'No such project.');
  const mutate = async <T>(widgetKey: string, change: (current: ProjectSettings) => Mutation<T>): Promise<T> => {
    const result = await store.mutateProject(widgetKey, change, now().toISOString());
    if (result === null) throw notFound();
    return result;
  };

  return {
    async listProjects(): Promise<ProjectView[]> {
      return (await store.listProjects()).map(viewOf).sort((a, b) => a.widgetKey.localeCompare(b.widgetKey));
    },

    async getProject(widgetKey: string): Promise<ProjectView> {
      const project = await store.getProject(widgetKey);
      if (!project) throw notFound();
      return viewOf(project);
    },

    /** A new project (a fresh `ab_live_` key unless one is given), without a secret: mode `off`. */
    async createProject(actor: string, widgetKey = generateProjectKeys().widgetKey): Promise<ProjectView> {
      if (!WIDGET_KEY.test(widgetKey) || isSecret(widgetKey)) throw bad('`widgetKey` must be 8–128 letters, digits, _ or -.');
      const at = now().toISOString();
      const project: ProjectSettings = { widgetKey, secrets: [], mode: null, allowedOrigins: null, maxTokenLifetime: null, updatedAt: at };
      const entry: AuditEntry = { at, widgetKey, actor, action: 'project.create', detail: {} };
      if (!(await store.createProject(project, entry))) throw conflict('A project with this widget key exists.');
      return viewOf(project);
    },

    /** A new active secret; the others keep verifying. The value is in this answer only. */
    async generateSecret(widgetKey: string, actor: string): Promise<{ secret: string; record: SecretView; project: ProjectView }> {
      const record = newSecretRecord(now().toISOString());
      const project = await mutate(widgetKey, (current) => {
        const next = { ...current, secrets: [...current.secrets, record] };
        return {
          next,
          audit: { actor, action: 'secret.generate', detail: { secretId: record.id, active: activeSecrets(next).length } },
          result: next,
        };
      });
      const view = viewOf(project);
      return { secret: record.secret, record: view.secrets.find((s) => s.id === record.id)!, project: view };
    },

    /** Retires a secret: tokens signed with it are refused from now on (within the settings delay). */
    async retireSecret(widgetKey: string, secretId: string, actor: string): Promise<ProjectView> {
      return viewOf(
        await mutate(widgetKey, (current) => {
          const target = current.secrets.find((s) => s.id === secretId);
          if (!target) throw new ApiError(404, 'not_found', 'No such secret.');
          if (target.retiredAt) throw conflict('This secret is already retired.');
          const mode = effectiveMode(current);
          if (activeSecrets(current).length === 1 && mode !== 'off') {
            throw conflict(`This is the last active secret and the mode is ${mode}: generate a new secret first, or set the mode to off.`);
          }
          const at = now().toISOString();
          const secrets = current.secrets.map((s) => (s.id === secretId ? { ...s, secret: '', retiredAt: at } : s));
          const next = { ...current, secrets };
          return {
            next,
            audit: { actor, action: 'secret.retire', detail: { secretId, active: activeSecrets(next).length } },
            result: next,
          };
        }),
      );
    },

    /** Changes the mode, the allowed origins and/or the token lifetime limit. */
    async updateSettings(widgetKey: string, patch: SettingsPatch, actor: string): Promise<ProjectView> {
      return viewOf(
        await mutate(widgetKey, (current) => {
          const next = { ...current, ...patch };
          if (effectiveMode(next) !== 'off' && patch.mode && !activeSecrets(next).length) {
            throw conflict(`Mode ${patch.mode} needs an identity secret: generate one first.`);
          }
          const detail: Record<string, unknown> = {};
          for (const [name, value] of Object.entries(patch) as [keyof SettingsPatch, unknown][])
            detail[name] = { from: current[name], to: value };
          return { next, audit: { actor, action: 'settings.update', detail }, result: next };
        }),
      );
    },

    /** Sets (a section checked by `parseAiSection`) or clears (null) the project's AI replies. */
    async setAi(widgetKey: string, ai: AiConfig | null, actor: string): Promise<ProjectView> {
      return viewOf(
        await mutate(widgetKey, (current) => {
          const next = { ...current, ai };
          const detail = { ai: { from: aiAuditOf(current.ai), to: aiAuditOf(ai) } };
          return { next, audit: { actor, action: ai ? 'ai.set' : 'ai.clear', detail }, result: next };
        }),
      );
    },

    async listAudit(widgetKey: string, limit = 50): Promise<AuditEntry[]> {
      if (!(await store.getProject(widgetKey))) throw notFound();
      return store.listAudit(widgetKey, Math.min(Math.max(1, limit), 500));
    },
  };
}

/** The operations of {@link createAdminOperations}. */
export type AdminOperations = ReturnType<typeof createAdminOperations>;
