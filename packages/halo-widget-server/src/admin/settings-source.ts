import type { ProjectConfig } from '../types.js';
import { newSecretRecord } from './admin-operations.js';
import type { AdminStore, ProjectSettings } from './admin-store.js';

/** How long an instance may apply settings another instance changed: the documented delay. */
export const SETTINGS_REFRESH_MS = 2000;

/** A project as the API reads it, with the settings the hardening of tokens adds. */
export type LiveProjectConfig = ProjectConfig & { maxTokenLifetime?: string | number };

/** The projects of an {@link AdminStore} as the API's live project list. */
export interface SettingsSource {
  /**
   * The live list: replaced in place on every refresh, so an API given this array reads the
   * stored settings without a restart. Never holds a retired secret.
   */
  readonly projects: LiveProjectConfig[];
  /** Reads the store now (after a change made here, so it applies at once). */
  refresh: () => Promise<void>;
  /** Stops the periodic refresh. */
  close: () => void;
}

/** What the API needs of stored settings: the active secrets only, the mode as set (null → default). */
export function toProjectConfig(project: ProjectSettings): LiveProjectConfig {
  const config: LiveProjectConfig = {
    widgetKey: project.widgetKey,
    identitySecrets: project.secrets.filter((s) => s.retiredAt === null).map((s) => s.secret),
  };
  if (project.mode) config.mode = project.mode;
  if (project.allowedOrigins) config.allowedOrigins = project.allowedOrigins;
  if (project.maxTokenLifetime) config.maxTokenLifetime = project.maxTokenLifetime;
  if (project.ai) config.ai = project.ai;
  return config;
}

/**
 * Copies the projects of a config file into the store, once: a project already stored keeps
 * its stored settings (the store, changed through the admin API, wins over the file).
 * Resolves with the widget keys whose stored settings differ from the file's, so the server
 * can say which ones apply.
 */
export async function seedProjects(
  store: AdminStore,
  projects: readonly LiveProjectConfig[],
  at = new Date().toISOString(),
): Promise<string[]> {
  const differing: string[] = [];
  for (const project of projects) {
    const settings: ProjectSettings = {
      widgetKey: project.widgetKey,
      secrets: (project.identitySecrets ?? []).map((secret) => newSecretRecord(at, secret)),
      mode: project.mode ?? null,
      allowedOrigins: project.allowedOrigins ?? null,
      // A lifetime in seconds is stored as a span, the shape the page and the API edit.
      maxTokenLifetime: typeof project.maxTokenLifetime === 'number' ? `${project.maxTokenLifetime}s` : (project.maxTokenLifetime ?? null),
      // The file's own section only: the top-level `ai` stays the file's default for every project.
      ai: project.ai ?? null,
      updatedAt: at,
    };
    const created = await store.createProject(settings, {
      at,
      widgetKey: project.widgetKey,
      actor: 'config file',
      action: 'project.import',
      detail: { secrets: settings.secrets.map((s) => s.id) },
    });
    if (!created) {
      const stored = await store.getProject(project.widgetKey);
      const file = toProjectConfig(settings);
      if (stored && JSON.stringify(toProjectConfig(stored)) !== JSON.stringify(file)) differing.push(project.widgetKey);
    }
  }
  return differing;
}

/**
 * Loads every project from the store, then reloads them every `refreshMs` (a timer that
 * does not keep the process alive). A failed reload keeps the last list and is reported.
 */
export async function createSettingsSource(
  store: AdminStore,
  {
    refreshMs = SETTINGS_REFRESH_MS,
    onError = (error: unknown) => console.error('[halo] could not reload the security settings:', error),
  } = {},
): Promise<SettingsSource> {
  const projects: LiveProjectConfig[] = [];
  let running: Promise<void> | null = null;
  const load = async () => {
    const stored = await store.listProjects();
    projects.splice(0, projects.length, ...stored.map(toProjectConfig));
  };
  const refresh = () => {
    // A refresh asked for during another waits for it, then reads again: it sees every change before the call.
    const next: Promise<void> = (running ?? Promise.resolve()).then(load, load).finally(() => {
      if (running === next) running = null;
    });
    running = next;
    return next;
  };
  await refresh();
  const timer = setInterval(() => void refresh().catch(onError), refreshMs);
  timer.unref();
  return { projects, refresh, close: () => clearInterval(timer) };
}
