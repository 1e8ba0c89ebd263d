// The `halo-widget` CLI: `keys` and `sign` for a customer's backend; the service's commands
// are the halo-widget-server package's and answer one line naming it.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import jwt from 'jsonwebtoken';
import { beforeAll, describe, expect, it } from 'vitest';
import { main, type CliIO } from '../../src/server/cli.js';
import { generateProjectKeys } from '../../src/server/index.js';

const BIN = fileURLToPath(new URL('../../bin/halo-widget.mjs', import.meta.url));
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } });

beforeAll(() => {
  if (!existsSync(new URL('../../dist/server/cli.mjs', import.meta.url))) {
    throw new Error('dist/ is missing: run `npm run build` before the tests (npm test does).');
  }
});

/** Runs main() from src in-process, capturing what it prints. */
async function runMain(argv: string[], env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const io: CliIO = { out: (text) => void (out += text), err: (text) => void (err += text), env };
  const code = await main(argv, io);
  return { code, out, err };
}

describe('main() (from src)', () => {
  const { identitySecret: SECRET } = generateProjectKeys();

  it('prints usage to stderr and exits 1 without a command', async () => {
    const result = await runMain([]);
    expect(result.code).toBe(1);
    expect(result.err).toContain('Usage');
  });

  it('keys prints a fresh widget key and identity secret as JSON', async () => {
    const result = await runMain(['keys']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toEqual({
      widgetKey: expect.stringMatching(/^ab_live_/),
      identitySecret: expect.stringMatching(/^ha_secret_/),
    });
  });

  it('sign puts --claim values in the token as trusted traits, with the lifetime asked for', async () => {
    const result = await runMain(
      ['sign', '--user-id', 'alice', '--claim', 'name=Alice Liddell', '--claim', 'note=a=b', '--expires-in', '90'],
      {
        HALO_IDENTITY_SECRET: SECRET,
      },
    );
    expect(result.code).toBe(0);
    const claims = jwt.verify(result.out.trim(), SECRET, { algorithms: ['HS256'] }) as jwt.JwtPayload;
    expect(claims).toMatchObject({ user_id: 'alice', name: 'Alice Liddell', note: 'a=b' });
    expect(claims.exp! - claims.iat!).toBe(90);
  });

  it.each([
    ['a reserved claim', ['--claim', 'exp=never'], /--expires-in/],
    ['user_id as a claim', ['--claim', 'user_id=bob'], /--user-id/],
    ['a claim without =', ['--claim', 'plan'], /key=value/],
    ['a bad --expires-in', ['--expires-in', 'soon'], /expiresIn/],
    ['an unknown option', ['--secret', 'x'], /Unknown option|unknown/i],
  ])('sign refuses %s with a clear message and exit 1', async (_name, extra, message) => {
    const result = await runMain(['sign', '--user-id', 'alice', ...extra], { HALO_IDENTITY_SECRET: SECRET });
    expect(result.code).toBe(1);
    expect(result.err).toMatch(message);
    expect(result.out).toBe('');
    expect(result.err).not.toContain(SECRET);
  });

  it('sign refuses a HALO_IDENTITY_SECRET that is not an identity secret, without echoing it', async () => {
    const result = await runMain(['sign', '--user-id', 'alice'], { HALO_IDENTITY_SECRET: 'ab_live_widgetkeyNotASecret' });
    expect(result.code).toBe(1);
    expect(result.err).toContain('ha_secret_');
    expect(result.err).not.toContain('ab_live_widgetkeyNotASecret');
  });

  it('a service command says in one line what to run instead, and exits 2', async () => {
    const result = await runMain(['serve', '--config', 'halo.config.json']);
    expect(result.code).toBe(2);
    expect(result.out).toBe('');
    expect(result.err.trim().split('\n')).toHaveLength(1);
    expect(result.err).toContain('npx halo-widget-server serve --config halo.config.json');
  });
});

describe('halo-widget CLI', () => {
  it('prints help for the tool and each command', () => {
    expect(run(['--help']).stdout).toContain('halo-widget keys');
    expect(run(['--help']).stdout).toContain('halo-widget-server');
    for (const command of ['keys', 'sign']) {
      const result = run([command, '--help']);
      expect(result.status).toBe(0);
      expect(result.stdout).toContain(`halo-widget ${command}`);
    }
    const unknown = run(['launch-missiles']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('Unknown command');
  });

  it('sign refuses to run without HALO_IDENTITY_SECRET and never takes the secret from argv', () => {
    const result = run(['sign', '--user-id', 'alice']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('HALO_IDENTITY_SECRET');
    const viaArgv = run(['sign', '--user-id', 'alice', '--secret', 'ha_secret_x']);
    expect(viaArgv.status).toBe(1);
  });
});
