// Node apps load every entry of the installed package with `require` and with `import`,
// and Jest's way of loading CommonJS (no require() of ES modules) works for the browser entries.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installPackage, type InstalledPackage } from './installed-package.js';

const SHAPES = `[typeof core.createHalo, typeof core.isHaloError, typeof server.signUserToken, typeof server.verifyUserToken, typeof react.HaloProvider, typeof react.useIdentityState]`;
const FUNCTIONS = JSON.stringify(Array(6).fill('function'));

describe('the installed package in Node', () => {
  let app: InstalledPackage;

  beforeAll(() => {
    app = installPackage();
  }, 120_000);

  afterAll(() => app?.remove());

  const expectOutput = (run: ReturnType<InstalledPackage['node']>, output: string) => {
    expect(run.stderr + run.stdout).toContain(output);
    expect(run.status, run.stderr).toBe(0);
  };

  it('require() loads halo-widget, halo-widget/server and halo-widget/react', () => {
    const run = app.node([
      '-e',
      `const core = require('halo-widget'), server = require('halo-widget/server'), react = require('halo-widget/react');
       console.log(JSON.stringify(${SHAPES}));`,
    ]);
    expectOutput(run, FUNCTIONS);
  });

  it('import loads halo-widget, halo-widget/server and halo-widget/react', () => {
    const run = app.node([
      '--input-type=module',
      '-e',
      `import * as core from 'halo-widget'; import * as server from 'halo-widget/server'; import * as react from 'halo-widget/react';
       console.log(JSON.stringify(${SHAPES}));`,
    ]);
    expectOutput(run, FUNCTIONS);
  });

  // How Jest (and Node < 20.19) load CommonJS: a require() of an ES module throws there.
  it('require() of halo-widget, halo-widget/react and halo-widget/server works without require(esm), as under Jest', () => {
    const run = app.node([
      '--no-experimental-require-module',
      '-e',
      `const core = require('halo-widget'), react = require('halo-widget/react'), server = require('halo-widget/server');
       server.signUserToken({ user_id: 'u' }, server.generateProjectKeys().identitySecret).then((token) =>
         console.log(typeof core.createHalo, typeof react.HaloProvider, token.split('.').length));`,
    ]);
    expectOutput(run, 'function function 3');
  });

  it('halo-widget/server holds the token helpers only: no API server, no store', () => {
    const run = app.node(['-e', `console.log(Object.keys(require('halo-widget/server')).sort().join(','))`]);
    expectOutput(run, 'findSecret,generateProjectKeys,parseDuration,signUserToken,verifyUserToken,verifyUserTokenSync');
  });

  it('the CommonJS server entry signs a token that the ESM one verifies', () => {
    const run = app.node([
      '--input-type=module',
      '-e',
      `import { createRequire } from 'node:module';
       import { verifyUserToken } from 'halo-widget/server';
       const { signUserToken, generateProjectKeys } = createRequire(process.cwd() + '/')('halo-widget/server');
       const { identitySecret } = generateProjectKeys();
       const token = await signUserToken({ user_id: 'u1' }, identitySecret);
       const result = await verifyUserToken(token, identitySecret, { userId: 'u1' });
       console.log('verified:', result.ok);`,
    ]);
    expectOutput(run, 'verified: true');
  });
});
