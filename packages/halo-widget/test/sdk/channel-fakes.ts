// What the SDK's channel tests share: the lazily loaded channel chunk loaded once (so fake time
// never waits on module loading), fake time from a fixed instant, no Web Locks (one stream per
// tab), and the server's SSE frames.
import { afterEach, beforeAll, beforeEach, vi } from 'vitest';

/** Registers the hooks: the channel chunk loaded, fake time at 2026-12-01T10:00Z, no `navigator.locks`. */
export function useChannelFakes(): void {
  beforeAll(async () => {
    await import('../../src/sdk/channel.js');
  });
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-12-01T10:00:00Z'));
    Object.defineProperty(navigator, 'locks', { value: null, configurable: true });
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });
}

/** One SSE frame as the server writes it. */
export const frame = (event: string, data: unknown): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
