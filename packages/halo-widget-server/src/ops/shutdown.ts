import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { safeLog } from './safe-log.js';
import type { HaloLogger } from '../types.js';

/** What a shutdown hook is told: clients should come back after this many seconds (to another instance, or this one restarted). */
export interface ShutdownInfo {
  retryAfterSeconds: number;
}

/**
 * Called once when the server starts draining, before in-flight calls are waited for: the
 * live channel closes its connections here with a retry hint. May return a promise; the
 * drain does not wait past its grace time for it.
 */
export type ShutdownHook = (info: ShutdownInfo) => void | Promise<void>;

/** Options of a graceful shutdown. */
export interface ShutdownOptions {
  /** The longest to wait for in-flight calls before closing every connection. @default 10_000 */
  graceMs?: number;
  /** The retry hint given to hooks and to requests refused while draining. @default 5 */
  retryAfterSeconds?: number;
}

/** Tracks in-flight requests and runs the drain. Internal. */
export interface Drain {
  /** Counts a request in flight until its answer is done; false when draining (the caller answers 503). */
  admit(req: IncomingMessage, res: ServerResponse): boolean;
  draining(): boolean;
  onShutdown(hook: ShutdownHook): () => void;
  /** Stops accepting, runs the hooks, waits for in-flight calls (at most `graceMs`), then closes every connection. */
  shutdown(options?: ShutdownOptions): Promise<{ unfinished: number }>;
  retryAfterSeconds(): number;
}

export function createDrain(server: Server, logger: HaloLogger): Drain {
  const hooks = new Set<ShutdownHook>();
  // The answers not finished yet: told to close their connection once draining.
  const inFlight = new Set<ServerResponse>();
  let draining = false;
  let retryAfter = 5;
  let settled: (() => void) | null = null;
  let running: Promise<{ unfinished: number }> | null = null;

  return {
    admit(req, res) {
      if (draining) return false;
      void req;
      inFlight.add(res);
      res.once('close', () => {
        inFlight.delete(res);
        if (inFlight.size === 0) settled?.();
      });
      return true;
    },
    draining: () => draining,
    retryAfterSeconds: () => retryAfter,
    onShutdown(hook) {
      hooks.add(hook);
      return () => hooks.delete(hook);
    },
    shutdown(options = {}) {
      running ??= (async () => {
        const graceMs = options.graceMs ?? 10_000;
        retryAfter = options.retryAfterSeconds ?? 5;
        draining = true;
        // No new connections; idle keep-alive ones are closed now, busy ones after their answer.
        server.close();
        server.closeIdleConnections();
        // A kept-alive connection with a call in flight is closed after its answer, not reused.
        for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
        const info = { retryAfterSeconds: retryAfter };
        const ran = [...hooks].map((hook) =>
          Promise.resolve()
            .then(() => hook(info))
            .catch((error: unknown) => safeLog(logger, 'error', () => ['[halo] shutdown: a hook failed:', error])),
        );
        let timer: NodeJS.Timeout | undefined;
        const grace = new Promise<void>((done) => (timer = setTimeout(done, graceMs)));
        const idle = new Promise<void>((done) => {
          settled = done;
          if (inFlight.size === 0) done();
        });
        // Hooks and in-flight calls both, but never past the grace time.
        await Promise.race([Promise.all([...ran, idle]), grace]);
        clearTimeout(timer);
        const unfinished = inFlight.size;
        if (unfinished > 0)
          safeLog(logger, 'warn', () => [
            `[halo] shutdown: ${unfinished} call(s) still running after ${graceMs} ms, closing their connections`,
            { unfinished },
          ]);
        server.closeAllConnections();
        return { unfinished };
      })();
      return running;
    },
  };
}
