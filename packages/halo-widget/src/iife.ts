// The script-tag entry (dist/halo.js): sets the real `window.Halo` and replays the calls
// the snippet queued before this file loaded ("Browser API" section of docs/protocol.md, script tag).
import { setDefaultApiBase } from './sdk/options.js';
import { Halo } from './sdk/singleton.js';

/** One queued call of the snippet: method, arguments, and the stub promise's settlers. */
type QueuedCall = [string, ArrayLike<unknown>, (value: unknown) => void, (error: unknown) => void];

interface Stub {
  q?: QueuedCall[];
}

const LOADED = Symbol.for('halo-widget.loaded');

// Read first: `document.currentScript` is only set while this file runs synchronously.
const script = document.currentScript as HTMLScriptElement | null;
const w = window as unknown as { Halo?: Stub & Record<symbol, unknown> };

// A second copy of halo.js on the page must not make a second client or widget.
if (!w.Halo?.[LOADED]) {
  if (script?.src) setDefaultApiBase(new URL(script.src, location.href).origin);
  const stub = w.Halo;
  const api = { ...Halo, [LOADED]: true };
  const run = ([method, args, resolve, reject]: QueuedCall): void => {
    try {
      resolve((api as unknown as Record<string, (...a: unknown[]) => unknown>)[method](...Array.from(args)));
    } catch (error) {
      reject(error);
      // A synchronous throw (bad options to init) would otherwise vanish into the stub's promise.
      console.error(`[halo] Halo.${method}() failed:`, error);
    }
  };
  w.Halo = api;
  const queue = stub?.q;
  if (queue) {
    queue.splice(0).forEach(run);
    // Code that kept a reference to the stub now runs its calls directly.
    queue.push = (...calls: QueuedCall[]) => (calls.forEach(run), 0);
  }
}
