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

/** How long a tab keeps the refresh lock after its refresh, so its broadcast lands first. */
const LINGER_MS = 250;

function lockManager(): LockManagerLike | null {
  const locks = (globalThis.navigator as { locks?: LockManagerLike | null } | undefined)?.locks;
  return locks && typeof locks.request === 'function' ? locks : null;
}

/** `null` outside browsers (no BroadcastChannel): the client then refreshes alone. */
export function createCoordinator(widgetKey: string, onToken: (userId: string, token: string) => void): TokenCoordinator | null {
  if (typeof BroadcastChannel !== 'function') return null;
  const channel = new BroadcastChannel(channelName(widgetKey));
  channel.onmessage = (event: MessageEvent<SharedToken>) => {
    const data = event.data;
    if (data?.type === 'halo:token' && typeof data.userId === 'string' && typeof data.token === 'string') {
      onToken(data.userId, data.token);
    }
  };
  return {
    withLock<T>(userId: string, waitMs: number, fn: (waited: boolean) => Promise<T>): Promise<T> {
      const locks = lockManager();
      if (!locks) return fn(false);
      const lockName = refreshLockName(widgetKey, userId);
      return new Promise<T>((resolve, reject) => {
        let acquired = false;
        // Under the lock: fn's outcome goes to the caller at once, but the lock is let go only
        // LINGER_MS later. The token fn broadcast needs a moment to reach the other tabs; a tab
        // that found the lock free before it landed would refresh again (the race of issue 15),
        // while one that waits for the lock uses the broadcast token (see Refresher).
        const hold = (waited: boolean): Promise<void> => {
          acquired = true;
          const run = fn(waited);
          run.then(resolve, reject);
          return run.then(
            () => new Promise<void>((done) => setTimeout(done, LINGER_MS)),
            (error: unknown) => void error, // already the caller's, through reject
          );
        };
        locks
          .request(lockName, { ifAvailable: true }, (lock) => (lock ? hold(false) : Promise.resolve()))
          .then(() => {
            if (acquired) return;
            // A tab stuck holding the lock must not stall this one past its own timeout.
            const controller = new AbortController();
            const timer = setTimeout(() => controller.abort(), waitMs);
            return locks
              .request(lockName, { signal: controller.signal }, () => {
                clearTimeout(timer);
                return hold(true);
              })
              .finally(() => clearTimeout(timer));
          })
          .catch((error: unknown) => {
            // Never got the lock (timeout, or locks unusable here): refresh without it. Once
            // acquired, fn's outcome has reached the caller through hold().
            if (!acquired) fn(false).then(resolve, reject);
            else void error;
          });
      });
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
