import { randomBytes } from 'node:crypto';
import { SECRET_PREFIX } from '../protocol.js';

/** A new project's keys: the publishable widget key and the identity secret. */
export interface ProjectKeys {
  /** `ab_live_` + 22 base64url characters (128 random bits). Publishable. */
  widgetKey: string;
  /** `ha_secret_` + 43 base64url characters (256 random bits). Backend only. */
  identitySecret: string;
}

/** Generates a project's widget key and identity secret from the OS's CSPRNG. */
export function generateProjectKeys(): ProjectKeys {
  return {
    widgetKey: `ab_live_${randomBytes(16).toString('base64url')}`,
    identitySecret: `${SECRET_PREFIX}${randomBytes(32).toString('base64url')}`,
  };
}
