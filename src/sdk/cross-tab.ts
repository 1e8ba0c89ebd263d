import { channelName, refreshLockName } from './names.js';

/**
 * Tabs of one origin, widget key and user share refreshed tokens over a BroadcastChannel
 * (memory only, never storage) and take turns with Web Locks, so T tabs near expiry
 * make one `getUserToken` call, not T. Without `navigator.locks` each tab refreshes on its
 * own but still shares what it got; a tab that misses a broadcast works alone.
 */
export interface TokenCoordinator {
  /**
   * Runs `fn` holding the refresh lock of `userId` (or without, where locks are missing).
   * `waited`: another tab held the lock first, so its token is probably on the way.
   */
  withLock<T>(userId: string, waitMs: number, fn: (waited: boolean) => Promise<T>): Promise<T>;
  publish(userId: string, token: string): void;
  close(): void;
}

interface SharedToken {
  type: 'halo:token';
  userId: string;
  token: string;
}

type LockManagerLike = {
  request<T>(name: string, options: { signal?: AbortSignal; ifAvailable?: boolean }, fn: (lock: unknown) => Promise<T>): Promise<T>;
};

const BUSY = Symbol('busy');

function lockManager(): LockManagerLike | null {
  const locks = (globalThis.navigator as { locks?: LockManagerLike | null } | undefined)?.locks;
  return locks && typeof locks.request === 'function' ? locks : null;
}

/** `null` outside browsers (no BroadcastChannel): the client then refreshes alone. */
export function createCoordinator(
  widgetKey: string,
  onToken: (userId: string, token: string) => void,
): TokenCoordinator | null {
  if (typeof BroadcastChannel !== 'function') return null;
  const channel = new BroadcastChannel(channelName(widgetKey));
  channel.onmessage = (event: MessageEvent<SharedToken>) => {
    const data = event.data;
    if (data?.type === 'halo:token' && typeof data.userId === 'string' && typeof data.token === 'string') {
      onToken(data.userId, data.token);
    }
  };
  return {
    async withLock<T>(userId: string, waitMs: number, fn: (waited: boolean) => Promise<T>): Promise<T> {
      const locks = lockManager();
      if (!locks) return fn(false);
      const lockName = refreshLockName(widgetKey, userId);
      let acquired = false;
      const timer = { id: undefined as ReturnType<typeof setTimeout> | undefined };
      try {
        const free = await locks.request(lockName, { ifAvailable: true }, async (lock) => {
          if (!lock) return BUSY;
          acquired = true;
          return fn(false);
        });
        if (free !== BUSY) return free as T;
        // A tab stuck holding the lock must not stall this one past its own timeout.
        const controller = new AbortController();
        timer.id = setTimeout(() => controller.abort(), waitMs);
        return await locks.request(lockName, { signal: controller.signal }, () => {
          acquired = true;
          clearTimeout(timer.id);
          return fn(true);
        });
      } catch (error) {
        if (acquired) throw error;
        // Never got the lock (timeout, or locks unusable here): refresh without it.
        return fn(false);
      } finally {
        clearTimeout(timer.id);
      }
    },
    publish(userId, token) {
      const message: SharedToken = { type: 'halo:token', userId, token };
      channel.postMessage(message);
    },
    close() {
      channel.close();
    },
  };
}
