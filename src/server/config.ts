import { isSecret } from '../limits.js';
import type { HaloApiConfig, HaloLogger, ProjectConfig, VerificationMode } from './types.js';
import { safeLog } from './safe-log.js';

const MODES: readonly VerificationMode[] = ['off', 'monitor', 'enforce'];

/** verification-modes: `monitor` once the project has a secret, else `off`. */
export function modeOf(project: ProjectConfig): VerificationMode {
  return project.mode ?? (project.identitySecrets?.length ? 'monitor' : 'off');
}

/**
 * Checks a config once, at start-up, so a typo fails loudly instead of as a 500 (or as
 * every user refused) later. Messages name the project and field, never a secret's value.
 * Projects stay live objects: a later change to `mode` or `identitySecrets` applies at once.
 */
export function checkConfig(config: HaloApiConfig, logger: HaloLogger): void {
  if (!config || typeof config !== 'object' || !Array.isArray(config.projects)) {
    throw new TypeError('Halo API config: `projects` must be an array.');
  }
  const seen = new Set<string>();
  config.projects.forEach((project, index) => {
    const where = `projects[${index}]`;
    if (!project || typeof project !== 'object') throw new TypeError(`Halo API config: ${where} must be an object.`);
    const { widgetKey, identitySecrets, mode, allowedOrigins } = project;
    if (typeof widgetKey !== 'string' || widgetKey === '')
      throw new TypeError(`Halo API config: ${where}.widgetKey must be a non-empty string.`);
    if (isSecret(widgetKey))
      throw new TypeError(`Halo API config: ${where}.widgetKey is an identity secret, not a widget key.`);
    if (seen.has(widgetKey)) throw new TypeError(`Halo API config: widget key ${widgetKey} is listed twice.`);
    seen.add(widgetKey);
    if (identitySecrets !== undefined) {
      if (!Array.isArray(identitySecrets)) throw new TypeError(`Halo API config: ${where}.identitySecrets must be an array of strings.`);
      identitySecrets.forEach((secret, i) => {
        if (!isSecret(secret)) {
          throw new TypeError(`Halo API config: ${where}.identitySecrets[${i}] must be an identity secret (ha_secret_…).`);
        }
      });
    }
    if (mode !== undefined && !MODES.includes(mode)) {
      throw new TypeError(`Halo API config: ${where}.mode must be one of ${MODES.join(', ')}.`);
    }
    if (allowedOrigins !== undefined && (!Array.isArray(allowedOrigins) || allowedOrigins.some((o) => typeof o !== 'string'))) {
      throw new TypeError(`Halo API config: ${where}.allowedOrigins must be an array of origins (or "*").`);
    }
    if (mode && mode !== 'off' && !identitySecrets?.length) {
      safeLog(logger, 'warn', () => [
        `[halo] ${widgetKey}: mode "${mode}" without identitySecrets: no token can verify, so every identified request is ${mode === 'enforce' ? 'refused' : 'unverified'}.`,
      ]);
    }
  });
  if (config.respond !== undefined && typeof config.respond !== 'function')
    throw new TypeError('Halo API config: `respond` must be a function.');
}

/** Whether `origin` may call a project from a browser (exact match; a trailing slash in the config is forgiven). */
export function originAllowed(project: ProjectConfig, origin: string): boolean {
  const allowed = project.allowedOrigins;
  if (!allowed) return true;
  return allowed.some((entry) => entry === '*' || entry === origin || entry.replace(/\/+$/, '').toLowerCase() === origin.toLowerCase());
}
