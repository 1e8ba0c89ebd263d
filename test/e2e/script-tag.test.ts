// The three-tag embed (docs/protocol.md, "Script tag") in Chromium: the snippet's queue, its replay by halo.js,
// direct calls after load, a second copy of halo.js, and shutdown.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { WIDGET, useEmbedSuite, watch, type Problems } from './browser.js';

const suite = useEmbedSuite();
let page: Page;
let problems: Problems;

/** Opens a page; with `hold` (a URL glob), those requests wait until the returned release() is called. */
async function openPage(html: string, { hold = '' } = {}): Promise<() => void> {
  suite.host.routes.set('/', { body: html });
  page = await suite.newPage();
  problems = await watch(page);
  let release = () => {};
  if (hold) {
    const gate = new Promise<void>((resolve) => (release = resolve));
    await page.route(hold, async (route) => {
      await gate;
      await route.continue();
    });
  }
  // Not 'load': that waits for the held async script.
  await page.goto(suite.host.url, { waitUntil: 'domcontentloaded' });
  return release;
}

const HALO_JS = '**/halo.js*';
const widgets = () => page.evaluate(() => document.querySelectorAll('halo-widget').length);

describe('the script-tag embed', () => {
  it('queues calls made before halo.js loads and replays them in order once it does', async () => {
    const init = `
      window.order = [];
      Halo.init({ widgetKey: '${suite.widgetKey}' }).then(() => order.push('init'));
      Halo.on('message', (m) => order.push('message:' + m.role));
      Halo.sendMessage('queued before load').then((reply) => order.push('reply:' + reply.role));
      Halo.open().then(() => order.push('open'));`;
    const release = await openPage(suite.embed({ init }), { hold: HALO_JS });
    expect(await page.evaluate(() => (window as any).Halo.q.length)).toBe(4);
    expect(await widgets()).toBe(0);
    release();
    await expect.poll(() => page.evaluate(() => (window as any).order.length)).toBe(5);
    expect(await page.evaluate(() => (window as any).order)).toEqual([
      'init',
      'open',
      'message:user',
      'message:assistant',
      'reply:assistant',
    ]);
    // apiBase defaulted to the origin of the script's src: the reply came from the Halo API.
    expect(await page.getByRole('dialog', { name: 'Support chat' }).isVisible()).toBe(true);
    await expect.poll(() => page.getByRole('log', { name: 'Messages' }).locator('.t').allTextContents()).toContain('queued before load');
    expect(problems.console).toEqual([]);
    expect(problems.errors).toEqual([]);
  });

  it('runs calls made after halo.js has loaded directly, through the real Halo', async () => {
    await openPage(suite.embed({ init: `Halo.init({ widgetKey: '${suite.widgetKey}' })` }));
    await expect.poll(() => page.evaluate(() => !('q' in (window as any).Halo))).toBe(true);
    // The real getIdentityState returns a value, not the stub's promise.
    expect(await page.evaluate(() => (window as any).Halo.getIdentityState())).toEqual({
      userId: null,
      status: 'anonymous',
      verified: null,
      tokenExpiresAt: null,
    });
  });

  it('runs calls made through a kept reference to the stub after load', async () => {
    const init = `window.stub = Halo; Halo.init({ widgetKey: '${suite.widgetKey}' });`;
    await openPage(suite.embed({ init }));
    await expect.poll(widgets).toBe(1);
    await page.evaluate(() => (window as any).stub.open());
    await expect.poll(() => page.getByRole('dialog', { name: 'Support chat' }).isVisible()).toBe(true);
  });

  // Two copies of halo.js, one from the Halo API and one from the app's own origin. Which copy
  // runs first is up to the network (both are async), so each order is a case of its own: the
  // copy that runs first is the page's Halo; the second is a no-op — no second client or
  // widget, no request. (Left to chance, the app's copy sometimes ran first and, without
  // `apiBase`, defaulted to its own origin, where /api/sdk/channel is a 404.)
  const twoCopies = () => {
    suite.host.routes.set('/copy-of-halo.js', { body: readFileSync(path.join(WIDGET, 'dist/halo.js'), 'utf8'), type: 'text/javascript' });
    return [`${suite.api.url}/halo.js`, `${suite.host.url}/copy-of-halo.js`];
  };
  /** Every request of the page, as origin + path. */
  const recordRequests = (): string[] => {
    const urls: string[] = [];
    page.on('request', (request) => urls.push(request.url().replace(/\?.*$/, '')));
    return urls;
  };

  /**
   * The first copy has its widget and its channel to the API; then the held copy runs (`release`)
   * and makes no request, adds no widget and leaves `window.Halo` as it was.
   */
  async function secondCopyIsANoOp(release: () => void, requests: string[]): Promise<void> {
    await expect.poll(widgets).toBe(1);
    await expect.poll(() => requests.filter((url) => url.endsWith('/api/sdk/channel'))).toEqual([`${suite.api.url}/api/sdk/channel`]);
    await page.evaluate(() => ((window as any).first = (window as any).Halo));
    const before = requests.length;
    release();
    await page.waitForLoadState('load');
    await page.waitForTimeout(500);
    // Its own request was made (and held) while the page was parsed: once it runs, none more.
    expect(requests.slice(before)).toEqual([]);
    expect(await widgets()).toBe(1);
    expect(await page.evaluate(() => (window as any).Halo === (window as any).first)).toBe(true);
  }

  it('keeps one widget, one Halo and one channel when a second copy of halo.js runs after the first', async () => {
    const init = `Halo.init({ widgetKey: '${suite.widgetKey}' })`;
    const release = await openPage(suite.embed({ haloSrc: twoCopies(), init }), { hold: '**/copy-of-halo.js' });
    const requests = recordRequests();
    await secondCopyIsANoOp(release, requests);
    await page.evaluate(() => (window as any).Halo.open());
    await expect.poll(() => page.getByRole('dialog', { name: 'Support chat' }).isVisible()).toBe(true);
    expect(problems.console).toEqual([]);
    expect(problems.errors).toEqual([]);
  });

  it("lets a self-hosted copy of halo.js that runs first talk to the API the app names in apiBase; the API's copy after it is a no-op", async () => {
    const init = `Halo.init({ widgetKey: '${suite.widgetKey}', apiBase: '${suite.api.url}' })`;
    const release = await openPage(suite.embed({ haloSrc: twoCopies(), init }), { hold: `${suite.api.url}/halo.js` });
    const requests = recordRequests();
    await secondCopyIsANoOp(release, requests);
    expect(problems.console).toEqual([]);
    expect(problems.errors).toEqual([]);
  });

  it('settles a failed replay for the app that awaited it and logs nothing for the one that did not', async () => {
    // history() before init rejects (no client yet): one caller handles it, one ignores it.
    const init = `
      Halo.history().catch((e) => (window.caught = e.code));
      Halo.history();
      Halo.init({ widgetKey: '${suite.widgetKey}' });`;
    const release = await openPage(suite.embed({ init }), { hold: HALO_JS });
    release();
    await expect.poll(() => page.evaluate(() => (window as any).caught)).toBe('invalid_request');
    await expect.poll(widgets).toBe(1);
    await page.waitForTimeout(200);
    expect(problems.console).toEqual([]);
    expect(problems.errors).toEqual([]);
  });

  it('reports an init with bad options on the console', async () => {
    await openPage(suite.embed({ init: `Halo.init({ widgetKey: 'not-a-key' })` }));
    await expect.poll(() => problems.console.length).toBe(1);
    expect(problems.console[0]).toMatch(/Halo\.init\(\) failed.*widgetKey/s);
    expect(await widgets()).toBe(0);
  });

  it('removes the widget and its state on Halo.shutdown()', async () => {
    await openPage(suite.embed({ init: `Halo.init({ widgetKey: '${suite.widgetKey}' }); Halo.open();` }));
    await expect.poll(widgets).toBe(1);
    await page.evaluate(() => (window as any).Halo.shutdown());
    expect(await widgets()).toBe(0);
    expect(await page.evaluate(() => (window as any).Halo.getIdentityState().status)).toBe('anonymous');
  });
});
