import { defaultMode, isSecret } from 'halo-widget/protocol';
import type { HaloApiConfig, HaloLogger, ProjectConfig, VerificationMode } from './types.js';
import { parseDuration } from 'halo-widget/server';
import { safeLog } from './ops/safe-log.js';
import { resolveTraitLimits } from './identity/traits.js';

const MODES: readonly VerificationMode[] = ['off', 'monitor', 'enforce'];

const lifetimes = new WeakMap<ProjectConfig, { raw: unknown; seconds: number | undefined }>();

/**
 * A project's `maxTokenLifetime` in seconds (undefined: no maximum). Read per request, as the
 * project is a live object; parsed again only when the value changed.
 */
export function maxLifetimeOf(project: ProjectConfig): number | undefined {
  const raw = project.maxTokenLifetime;
  if (raw === undefined) return undefined;
  let known = lifetimes.get(project);
  if (!known || known.raw !== raw) lifetimes.set(project, (known = { raw, seconds: parseDuration(raw) ?? undefined }));
  return known.seconds;
}

/** verification-modes: `monitor` once the project has a secret, else `off`. */
export function modeOf(project: ProjectConfig): VerificationMode {
  return project.mode ?? defaultMode(Boolean(project.identitySecrets?.length));
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
    const { widgetKey, identitySecrets, mode, allowedOrigins, maxTokenLifetime } = project;
    if (typeof widgetKey !== 'string' || widgetKey === '')
      throw new TypeError(`Halo API config: ${where}.widgetKey must be a non-empty string.`);
    if (isSecret(widgetKey)) throw new TypeError(`Halo API config: ${where}.widgetKey is an identity secret, not a widget key.`);
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
    if (maxTokenLifetime !== undefined && parseDuration(maxTokenLifetime) === null) {
      throw new TypeError(`Halo API config: ${where}.maxTokenLifetime must be seconds or a span such as "24h" (s, m, h, d).`);
    }
    if (mode && mode !== 'off' && !identitySecrets?.length) {
      safeLog(logger, 'warn', () => [
        `[halo] ${widgetKey}: mode "${mode}" without identitySecrets: no token can verify, so every identified request is ${mode === 'enforce' ? 'refused' : 'unverified'}.`,
      ]);
    }
  });
  if (config.respond !== undefined && typeof config.respond !== 'function')
    throw new TypeError('Halo API config: `respond` must be a function.');
  const { trustProxy, rateLimit } = config;
  if (trustProxy !== undefined && typeof trustProxy !== 'boolean' && !(Number.isInteger(trustProxy) && trustProxy >= 0)) {
    throw new TypeError('Halo API config: `trustProxy` must be a boolean or a number of proxy hops.');
  }
  if (rateLimit !== undefined && rateLimit !== false && (typeof rateLimit !== 'object' || rateLimit === null)) {
    throw new TypeError('Halo API config: `rateLimit` must be an object or false.');
  }
  resolveTraitLimits(config.traitLimits);
}

/** Whether `origin` may call a project from a browser (exact match; a trailing slash in the config is forgiven). */
export function originAllowed(project: ProjectConfig, origin: string): boolean {
  const allowed = project.allowedOrigins;
  if (!allowed) return true;
  return allowed.some((entry) => entry === '*' || entry === origin || entry.replace(/\/+$/, '').toLowerCase() === origin.toLowerCase());
}
