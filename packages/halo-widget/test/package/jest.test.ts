// Real Jest 30 with jest-environment-jsdom and its default configuration (CommonJS, babel-jest,
// no transform settings): a test suite of an app that requires all three entries —
// `halo-widget`, `halo-widget/react` and `halo-widget/server` — passes. Jest's require() of an
// ESM-only package (jose) fails below Node 24.9, so this holds only while the CommonJS builds
// carry no such require.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installPackage, type InstalledPackage } from './installed-package.js';

const APP_TEST = `/** @jest-environment jsdom */
const { act, createElement } = require('react');
const { createRoot } = require('react-dom/client');
const { createHalo } = require('halo-widget');
const { HaloProvider, useHalo } = require('halo-widget/react');
const { generateProjectKeys, signUserToken, verifyUserToken } = require('halo-widget/server');

globalThis.IS_REACT_ACT_ENVIRONMENT = true;
const answer = async () => new Response(JSON.stringify({ conversation_id: null, messages: [] }), {
  status: 200,
  headers: { 'Content-Type': 'application/json' },
});

test('halo-widget/server signs a token that it verifies', async () => {
  const { identitySecret } = generateProjectKeys();
  const token = await signUserToken({ user_id: 'alice', plan: 'pro' }, identitySecret, { expiresIn: '1h' });
  const result = await verifyUserToken(token, identitySecret, { userId: 'alice' });
  expect(result.ok).toBe(true);
  expect(result.claims.plan).toBe('pro');
});

test('halo-widget mounts its launcher in the jsdom document and destroy() removes it', async () => {
  const client = createHalo({ widgetKey: 'ab_test_jest', fetch: answer });
  await new Promise((resolve) => setTimeout(resolve, 100));
  expect(document.querySelectorAll('halo-widget')).toHaveLength(1);
  client.destroy();
  expect(document.querySelectorAll('halo-widget')).toHaveLength(0);
});

test('halo-widget/react gives the components under <HaloProvider> a client', async () => {
  let seen = null;
  function Probe() {
    seen = useHalo();
    return null;
  }
  const root = createRoot(document.body.appendChild(document.createElement('div')));
  await act(async () => {
    root.render(createElement(HaloProvider, { options: { widgetKey: 'ab_test_jest', launcher: false, fetch: answer } }, createElement(Probe)));
  });
  expect(seen).not.toBeNull();
  expect(typeof seen.open).toBe('function');
  await act(async () => root.unmount());
});
`;

describe('halo-widget under Jest 30 and jest-environment-jsdom', () => {
  let app: InstalledPackage;

  beforeAll(() => {
    app = installPackage(['jest', 'jest-environment-jsdom']);
    writeFileSync(join(app.dir, 'package.json'), JSON.stringify({ name: 'jest-app', private: true }));
    writeFileSync(join(app.dir, 'halo.test.js'), APP_TEST);
  }, 120_000);

  afterAll(() => app?.remove());

  it('runs a test file that requires halo-widget, halo-widget/react and halo-widget/server, and it passes', () => {
    // Jest's own process: its CommonJS loader, not Node's require(esm).
    const run = app.node([join(app.dir, 'node_modules/jest/bin/jest.js'), '--ci', '--colors=false', '--watchman=false']);
    const output = run.stdout + run.stderr;
    expect(output).toMatch(/Tests:\s+3 passed, 3 total/);
    expect(run.status, output).toBe(0);
  });
});
