// A Jest + jsdom test suite: no transform settings, CommonJS loaded without require(esm),
// `window` and `document` from jsdom. The package must load and mount its widget there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installPackage, type InstalledPackage } from './installed-package.js';

// What jest-environment-jsdom does: jsdom's window objects become the test's globals.
const JSDOM_GLOBALS = `
  const { JSDOM } = require('jsdom');
  const dom = new JSDOM('<!doctype html><html><body></body></html>', { url: 'http://127.0.0.1:3000/' });
  for (const name of ['window', 'document', 'navigator', 'localStorage', 'HTMLElement', 'CSSStyleSheet', 'location']) {
    Object.defineProperty(globalThis, name, { configurable: true, value: dom.window[name] });
  }
`;

describe('halo-widget under jsdom, loaded the way Jest loads CommonJS', () => {
  let app: InstalledPackage;

  beforeAll(() => {
    app = installPackage();
  }, 120_000);

  afterAll(() => app?.remove());

  it('require()s the package, mounts one launcher, and destroy() removes it', () => {
    const run = app.node([
      '--no-experimental-require-module',
      '-e',
      `${JSDOM_GLOBALS}
       const { createHalo } = require('halo-widget');
       const answer = (body) => new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } });
       const client = createHalo({ widgetKey: 'ab_test_jsdom', fetch: async () => answer({ conversation_id: null, messages: [] }) });
       setTimeout(() => {
         const hosts = document.querySelectorAll('halo-widget');
         const button = hosts[0] && hosts[0].shadowRoot.querySelector('button[aria-label="Open support chat"]');
         console.log('launchers:', hosts.length, 'button:', Boolean(button));
         client.destroy();
         console.log('after destroy:', document.querySelectorAll('halo-widget').length);
       }, 300);`,
    ]);
    expect(run.stdout, run.stderr).toContain('launchers: 1 button: true');
    expect(run.stdout, run.stderr).toContain('after destroy: 0');
    expect(run.status, run.stderr).toBe(0);
  });

  it('require()s the React binding next to react', () => {
    const run = app.node([
      '--no-experimental-require-module',
      '-e',
      `${JSDOM_GLOBALS}
       const { createElement } = require('react');
       const { renderToString } = require('react-dom/server');
       const { HaloProvider } = require('halo-widget/react');
       console.log(renderToString(createElement(HaloProvider, { options: { widgetKey: 'ab_test_jsdom' } }, createElement('p', null, 'app'))));`,
    ]);
    expect(run.stdout, run.stderr).toContain('<p>app</p>');
    expect(run.status, run.stderr).toBe(0);
  });
});
