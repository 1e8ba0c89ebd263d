// The development build's CSP diagnostic in real Chromium: when the page's connect-src blocks
// the Halo API or the app's token endpoint, the console names the origin to add
// (docs/troubleshooting.md). The production build stays silent about it.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { WIDGET, useEmbedSuite } from './browser.js';

const suite = useEmbedSuite();

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
/** A JWT-shaped token for alice (the requests never leave the page, so no signature is needed). */
const aliceToken = () => {
  const iat = Math.floor(Date.now() / 1000);
  return `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ user_id: 'alice', iat, exp: iat + 3600 })}.c2ln`;
};

/** Opens a page of the host app with `connectSrc` as its CSP's connect-src, running `init` on `build`. */
async function openPage(connectSrc: string, init: string, build = 'halo.development.js'): Promise<{ page: Page; lines: string[] }> {
  const nonce = randomBytes(16).toString('base64');
  suite.host.routes.set(`/${build}`, { body: readFileSync(path.join(WIDGET, 'dist', build), 'utf8'), type: 'text/javascript' });
  suite.host.routes.set('/', {
    body: suite.embed({ init, nonce, haloSrc: `/${build}` }),
    headers: { 'Content-Security-Policy': `default-src 'none'; script-src 'nonce-${nonce}' 'self'; connect-src ${connectSrc}` },
  });
  const page = await suite.newPage();
  const lines: string[] = [];
  page.on('console', (message) => lines.push(message.text()));
  await page.goto(suite.host.url);
  return { page, lines };
}

const halo = (lines: string[]) => lines.filter((line) => line.startsWith('[halo]'));

describe('CSP connect-src diagnostics in Chromium', () => {
  it('a connect-src without the API origin prints the origin to add, once', async () => {
    const { lines } = await openPage(
      "'self'",
      `Halo.init({ widgetKey: '${suite.widgetKey}', apiBase: '${suite.api.url}', launcher: false, userId: 'alice', userTraits: { name: 'Alice' }, userToken: '${aliceToken()}' });
       Halo.history().catch(() => undefined);`,
    );
    const expected = `[halo] the page's Content-Security-Policy blocked the Halo API (${suite.api.url}): add ${suite.api.url} to its connect-src directive.`;
    await expect.poll(() => halo(lines)).toContain(expected);
    expect(halo(lines).filter((line) => line.includes('Content-Security-Policy'))).toEqual([expected]);
  });

  it("a connect-src without the page's own origin names 'self' for getUserToken's endpoint", async () => {
    const { lines } = await openPage(
      suite.api.url,
      `Halo.init({ widgetKey: '${suite.widgetKey}', apiBase: '${suite.api.url}', launcher: false, userId: 'alice', userTraits: { name: 'Alice' },
         getUserToken: async () => { const r = await fetch('/api/halo-token', { credentials: 'include' }); if (!r.ok) throw new Error('token endpoint ' + r.status); return r.text(); } });`,
    );
    await expect
      .poll(() => halo(lines))
      .toContain(
        `[halo] the page's Content-Security-Policy blocked getUserToken's request to ${suite.host.url}: add 'self' (this page's origin, ${suite.host.url}) to its connect-src directive.`,
      );
  });

  it('the production build (halo.js) prints no CSP diagnostic', async () => {
    const { page, lines } = await openPage(
      "'self'",
      `Halo.init({ widgetKey: '${suite.widgetKey}', apiBase: '${suite.api.url}', launcher: false, userId: 'alice', userTraits: { name: 'Alice' }, userToken: '${aliceToken()}' });
       window.__done = Halo.history().then(() => 'ok', (e) => e.code);`,
      'halo.js',
    );
    expect(await page.evaluate(() => (window as unknown as { __done: Promise<string> }).__done)).toBe('network_error');
    expect(halo(lines).filter((line) => line.includes('connect-src'))).toEqual([]);
  });
});
