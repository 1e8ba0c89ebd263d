import type { HaloLogger } from '../types.js';

/**
 * Logs one line through the app's logger without ever throwing: a logger that throws (or
 * a line that cannot be built, such as an error whose `stack` getter throws) must not
 * leave a request unanswered or reject where nothing catches. The failure, and the line
 * when it was built, go to `console.error` instead.
 */
export function safeLog(logger: HaloLogger, level: keyof HaloLogger, line: () => unknown[]): void {
  let args: unknown[] = [];
  try {
    args = line();
    logger[level](...args);
  } catch (failure) {
    try {
      console.error(`[halo] could not log through logger.${level}, so the line goes here:`, ...args, failure);
    } catch (again) {
      // The console is broken too (it is the default logger). A process warning is
      // printed asynchronously, outside the request.
      process.emitWarning(`[halo] logger.${level} and console.error both threw (${again instanceof Error ? again.name : typeof again}).`);
    }
  }
}
