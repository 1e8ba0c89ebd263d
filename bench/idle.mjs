// Idle cost: after createHalo and one delivered message, how many timers are still live?
// Refresh is lazy (refresh-within-skew: a hidden tab refreshes at its next call), so the goal is none.
import { createFakeFetch, loadSdk, tokenFor } from './refresh.mjs';
import { ROOT } from '../test/helpers/sizes.mjs';

/**
 * Wraps the global timer functions so every handle is known until it fires (timeouts) or
 * is cleared. Returns the live handles with the stack that created each, and a restore.
 */
function trackTimers() {
  const original = { setTimeout, setInterval, clearTimeout, clearInterval };
  const live = new Map();
  let created = 0;
  const remember = (handle, kind) =>
    (created += 1) && live.set(handle, { kind, stack: new Error().stack.split('\n').slice(3, 6).join('\n') });
  globalThis.setTimeout = (callback, ms, ...args) => {
    const handle = original.setTimeout(
      (...callArgs) => {
        live.delete(handle);
        callback(...callArgs);
      },
      ms,
      ...args,
    );
    remember(handle, 'timeout');
    return handle;
  };
  globalThis.setInterval = (callback, ms, ...args) => {
    const handle = original.setInterval(callback, ms, ...args);
    remember(handle, 'interval');
    return handle;
  };
  globalThis.clearTimeout = (handle) => {
    live.delete(handle);
    original.clearTimeout(handle);
  };
  globalThis.clearInterval = (handle) => {
    live.delete(handle);
    original.clearInterval(handle);
  };
  return {
    live: () => [...live.values()],
    created: () => created,
    restore: () => Object.assign(globalThis, original),
  };
}

export async function measureIdle({ root = ROOT } = {}) {
  const { createHalo } = await loadSdk(root);
  const timers = trackTimers();
  const userId = 'user_idle';
  const api = createFakeFetch();
  let client;
  try {
    client = createHalo({
      widgetKey: 'ab_test_0123456789abcdef',
      apiBase: 'http://127.0.0.1:9',
      launcher: false,
      userId,
      // Near expiry, so the message also goes through a refresh (and its timeout timer).
      userToken: tokenFor(userId, 60),
      userTraits: { name: 'Bench' },
      getUserToken: async () => tokenFor(userId),
      fetch: api.fetch,
    });
    await client.sendMessage('hello');
    // Idle: let every pending callback and microtask run before counting.
    for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
    const live = timers.live();
    return {
      liveTimers: live.filter((timer) => timer.kind === 'timeout').length,
      liveIntervals: live.filter((timer) => timer.kind === 'interval').length,
      // Proves the tracking saw the SDK's timers (request and refresh timeouts) at all.
      timersCreated: timers.created(),
      owners: live.map((timer) => `${timer.kind}\n${timer.stack}`),
      requests: api.requests.length,
    };
  } finally {
    client?.shutdown();
    timers.restore();
  }
}
