import { pino, type DestinationStream, type Logger } from 'pino';
import type { HaloLogger } from '../types.js';

/** Options of {@link createJsonLogger}. */
export interface JsonLoggerOptions {
  /** Where the lines go. @default stdout (pino's own fast destination) */
  destination?: DestinationStream;
  /** @default 'info' */
  level?: 'info' | 'warn' | 'error';
}

// Belt and braces: no field the service logs holds one, but an app's fields might.
const REDACT = ['token', 'user_token', 'secret', 'identitySecrets', 'password', 'authorization', '*.token', '*.user_token', '*.secret'];

/**
 * A {@link HaloLogger} writing one JSON object a line through pino (what `serve` uses by
 * default): the service logs console-style — a message, then fields objects or an error — and
 * this turns that into `{ level, time, msg, ...fields, err }`.
 */
export function createJsonLogger(options: JsonLoggerOptions = {}): HaloLogger & { pino: Logger } {
  const logger = pino(
    { level: options.level ?? 'info', base: { service: 'halo-widget-server' }, redact: { paths: REDACT, censor: '[redacted]' } },
    // Synchronous: a line written before an exit is not lost (the decision log bounds how many there are).
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
  const line =
    (level: 'info' | 'warn' | 'error') =>
    (...args: unknown[]): void => {
      const fields: Record<string, unknown> = {};
      const words: string[] = [];
      for (const arg of args) {
        if (arg instanceof Error) fields.err = arg;
        else if (arg !== null && typeof arg === 'object' && !Array.isArray(arg)) Object.assign(fields, arg);
        else words.push(typeof arg === 'string' ? arg : (JSON.stringify(arg) ?? String(arg)));
      }
      logger[level](fields, words.join(' '));
    };
  return { info: line('info'), warn: line('warn'), error: line('error'), pino: logger };
}
