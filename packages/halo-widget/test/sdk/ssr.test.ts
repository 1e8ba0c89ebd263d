// `import 'halo-widget'` under server-side rendering: no window, document or storage.
import { describe, expect, it } from 'vitest';

describe('server-side rendering', () => {
  it('importing the package in Node without a DOM touches no browser global', async () => {
    expect(typeof (globalThis as { window?: unknown }).window).toBe('undefined');
    const touched: string[] = [];
    // Not navigator: jose reads navigator.userAgent at load (feature detection, harmless in Node).
    const traps = ['window', 'document', 'localStorage', 'sessionStorage'] as const;
    const saved = traps.map((name) => Object.getOwnPropertyDescriptor(globalThis, name));
    for (const name of traps) {
      Object.defineProperty(globalThis, name, {
        configurable: true,
        get() {
          touched.push(name);
          return undefined;
        },
      });
    }
    try {
      const mod = await import('../../src/index.js');
      expect(typeof mod.createHalo).toBe('function');
      expect(typeof mod.Halo.init).toBe('function');
      expect(mod.Halo.getIdentityState().status).toBe('anonymous');
    } finally {
      traps.forEach((name, i) => {
        const descriptor = saved[i];
        if (descriptor) Object.defineProperty(globalThis, name, descriptor);
        else delete (globalThis as Record<string, unknown>)[name];
      });
    }
    expect(touched).toEqual([]);
  });

  it('a client created on the server needs an apiBase and renders no launcher', async () => {
    const { createHalo } = await import('../../src/index.js');
    expect(() => createHalo({ widgetKey: 'ab_live_abcdefgh12345678' })).toThrow(/apiBase/);
    const client = createHalo({ widgetKey: 'ab_live_abcdefgh12345678', apiBase: 'https://halo.example.com' });
    expect(() => client.open()).not.toThrow();
    client.shutdown();
  });

  it('launcher: true outside a browser renders nothing and warns once, never crashes', async () => {
    const { vi } = await import('vitest');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const onError = vi.fn();
    try {
      const { createHalo } = await import('../../src/index.js');
      const options = { widgetKey: 'ab_live_abcdefgh12345678', apiBase: 'https://halo.example.com', launcher: true, onError };
      const clients = [createHalo(options), createHalo(options)];
      // Where the widget chunk would have loaded and thrown "document is not defined".
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toMatch(/launcher.*browser/);
      expect(onError).not.toHaveBeenCalled();
      clients.forEach((client) => client.destroy());
    } finally {
      warn.mockRestore();
    }
  });

  it('the built CommonJS and ESM entries load in Node', async () => {
    const { existsSync } = await import('node:fs');
    const { createRequire } = await import('node:module');
    const dist = new URL('../../dist/', import.meta.url);
    if (!existsSync(new URL('index.cjs', dist))) throw new Error('dist/ is missing: run `npm run build` before the tests');
    const require = createRequire(import.meta.url);
    const cjs = require(new URL('index.cjs', dist).pathname);
    expect(typeof cjs.createHalo).toBe('function');
    const esm = await import(new URL('index.mjs', dist).href);
    expect(typeof esm.isHaloError).toBe('function');
  });
});
