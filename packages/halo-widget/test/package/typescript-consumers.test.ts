// TypeScript apps type-check against the installed package under `strict` +
// `exactOptionalPropertyTypes`, `skipLibCheck: false` (so our .d.ts files are checked too),
// for `module` node16, nodenext and bundler, from ESM and from CommonJS files.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../../../../test/helpers/sizes.mjs';
import { installPackage, type InstalledPackage } from './installed-package.js';

const TSC = join(REPO, 'node_modules/typescript/bin/tsc');

/** What an app writes against every entry; `esm` adds what only ES modules can import. */
const consumer = (esm: boolean): string => `
import { createHalo, isHaloError, type HaloOptions, type IdentityExpiredReason } from 'halo-widget';
import { signUserToken, verifyUserToken } from 'halo-widget/server';
import { HaloProvider, useHalo, useHaloEvent, useIdentityState, useIsOpen, useUnreadCount } from 'halo-widget/react';
import { createElement, type ReactElement } from 'react';
${esm ? "import type {} from 'halo-widget/halo.js';" : ''}

declare const session: { id: string; token: string; name?: string } | undefined;

// exactOptionalPropertyTypes: an optional chain's undefined is accepted by every option.
const options: HaloOptions = {
  widgetKey: 'ab_test_consumer',
  userId: session?.id,
  userToken: session?.token,
  userTraits: { name: session?.name },
  getUserToken: async ({ signal }) => (await fetch('/api/halo-token', { signal })).text(),
  onIdentityExpired: ({ reason }) => {
    const known: IdentityExpiredReason = reason;
    if (known === 'token_refresh_failed') return;
  },
  onError: (error) => {
    if (isHaloError(error) && error.reason === 'token_expired') return;
  },
};

const client = createHalo(options);
client.on('unread', (count: number) => count);
client.on('open', () => undefined);
const open: boolean = client.isOpen();
const unread: number = client.getUnreadCount();
client.destroy();

export function Badge(): ReactElement | null {
  const halo = useHalo();
  const { status } = useIdentityState();
  const isOpen: boolean = useIsOpen();
  const count: number = useUnreadCount();
  useHaloEvent('message', (message) => message.text);
  return status === 'expired' || isOpen || !halo ? null : createElement('span', null, count);
}

export const app = createElement(HaloProvider, { options }, createElement(Badge));
export const signed: Promise<boolean> = signUserToken({ user_id: 'u1' }, 'a-test-value').then(async (token) => (await verifyUserToken(token, 'a-test-value')).ok);
export const state = [open, unread];
${esm ? "export const fromScriptTag = () => window.Halo.init({ widgetKey: 'ab_test_consumer', userId: session?.id });" : ''}
`;

const SETTINGS = [
  { module: 'node16', moduleResolution: 'node16', files: { 'esm.mts': consumer(true), 'cjs.cts': consumer(false) } },
  { module: 'nodenext', moduleResolution: 'nodenext', files: { 'esm.mts': consumer(true), 'cjs.cts': consumer(false) } },
  { module: 'esnext', moduleResolution: 'bundler', files: { 'app.ts': consumer(true) } },
] as const;

describe('TypeScript consumers of the installed package', () => {
  let app: InstalledPackage;

  beforeAll(() => {
    app = installPackage();
  }, 120_000);

  afterAll(() => app?.remove());

  it.each(SETTINGS)(
    'compile under module $module (strict, exactOptionalPropertyTypes, skipLibCheck false)',
    (setting) => {
      const dir = join(app.dir, `ts-${setting.moduleResolution}`);
      mkdirSync(dir);
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `consumer-${setting.moduleResolution}`, private: true }));
      for (const [file, code] of Object.entries(setting.files)) writeFileSync(join(dir, file), code);
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            strict: true,
            exactOptionalPropertyTypes: true,
            skipLibCheck: false,
            noEmit: true,
            module: setting.module,
            moduleResolution: setting.moduleResolution,
            target: 'es2022',
            lib: ['es2022', 'dom'],
            types: ['node'],
          },
          files: Object.keys(setting.files),
        }),
      );
      const run = spawnSync(process.execPath, [TSC, '-p', dir], { encoding: 'utf8', timeout: 240_000 });
      expect(run.stdout + run.stderr).toBe('');
      expect(run.status).toBe(0);
    },
    300_000,
  );
});
