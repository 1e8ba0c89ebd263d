// Issue 6 in a real browser: three tabs of one origin near token expiry make one
// getUserToken call in total (BroadcastChannel + Web Locks), and no token is stored.
import jwt from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { useEmbedSuite, watch } from './browser.js';

const suite = useEmbedSuite({ enforce: true });
let tokenCalls = 0;

const LIFETIME = 14; // seconds: fresh for the first 7 (skew = lifetime / 2)
const sign = (lifetime: number) => {
  const iat = Math.floor(Date.now() / 1000);
  return jwt.sign({ user_id: 'alice', name: 'Alice', iat, exp: iat + lifetime }, suite.secret);
};

describe('cross-tab refresh', () => {
  it('three tabs of one origin near expiry make one getUserToken call and all use its token', async () => {
    const initialToken = sign(LIFETIME);
    const issuedAt = Date.now();
    suite.host.routes.set('/', {
      body: suite.embed({
        init: `Halo.init({ widgetKey: ${JSON.stringify(suite.widgetKey)}, apiBase: ${JSON.stringify(suite.api.url)}, launcher: false,
          userId: 'alice', userTraits: { name: 'Alice' }, userToken: ${JSON.stringify(initialToken)},
          getUserToken: () => fetch('/token').then((r) => r.text()) });`,
      }),
    });
    // The app's token endpoint: counts calls and answers a little slowly, like a real backend.
    suite.host.routes.set('/token', { body: '', type: 'text/plain' });
    const originalGet = suite.host.routes.get.bind(suite.host.routes);
    suite.host.routes.get = (key: string) => {
      if (key !== '/token') return originalGet(key);
      tokenCalls++;
      return { body: sign(3600), type: 'text/plain' };
    };

    const context = await suite.browser.newContext();
    const pages = await Promise.all([1, 2, 3].map(() => context.newPage()));
    const problems = await Promise.all(pages.map((page) => watch(page)));
    for (const page of pages) {
      await page.goto(suite.host.url);
      await page.waitForFunction(
        () => (window as { Halo?: { getIdentityState?: () => { verified: boolean | null } } }).Halo?.getIdentityState?.().verified === true,
      );
    }
    expect(tokenCalls).toBe(0); // the initial token was still fresh

    // Wait until the initial token is inside its skew in every tab, then call from all at once.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, issuedAt + (LIFETIME / 2 + 1) * 1000 - Date.now())));
    const sent = await Promise.all(
      pages.map((page) =>
        page.evaluate(async () => {
          const halo = (window as unknown as { Halo: { history(): Promise<unknown[]>; getIdentityState(): { tokenExpiresAt: number } } })
            .Halo;
          await halo.history();
          return halo.getIdentityState().tokenExpiresAt;
        }),
      ),
    );
    expect(tokenCalls).toBe(1);
    expect(new Set(sent).size).toBe(1); // all three tabs hold the same refreshed token
    expect(sent[0]).toBeGreaterThan(Math.floor(Date.now() / 1000) + 3000);

    for (const page of pages) {
      const stored = await page.evaluate(
        () => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie,
      );
      expect(stored).not.toContain('eyJ');
    }
    for (const p of problems) {
      expect(p.console).toEqual([]);
      expect(p.errors).toEqual([]);
    }
    await context.close();
  });
});
