// The service's CLI end to end: `halo-widget keys` and `sign` (the browser package's tools),
// then a request to `halo-widget-server serve` that verifies in enforce mode.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, type CliIO } from '../../src/cli/main.js';

const BIN = fileURLToPath(new URL('../../bin/halo-widget-server.mjs', import.meta.url));
const TOKEN_BIN = fileURLToPath(new URL('../../../halo-widget/bin/halo-widget.mjs', import.meta.url));
const spawnBin = (bin: string, args: string[], env: Record<string, string>) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } });
const run = (args: string[], env: Record<string, string> = {}) => spawnBin(BIN, args, env);
const runTokens = (args: string[], env: Record<string, string> = {}) => spawnBin(TOKEN_BIN, args, env);

beforeAll(() => {
  for (const built of ['../../dist/cli.mjs', '../../../halo-widget/dist/server/cli.mjs']) {
    if (!existsSync(new URL(built, import.meta.url))) {
      throw new Error('dist/ is missing: run `npm run build` before the tests (npm test does).');
    }
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
  it('prints usage to stderr and exits 1 without a command', async () => {
    const result = await runMain([]);
    expect(result.code).toBe(1);
    expect(result.err).toContain('Usage');
  });

  it('serve refuses contradictory store options and a bad "database" without echoing its value', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'halo-cli-'));
    const plain = join(dir, 'plain.json');
    writeFileSync(plain, JSON.stringify({ projects: [{ widgetKey: 'ab_test_x' }] }));
    expect((await runMain(['serve', '--config', plain, '--memory', '--data', dir])).err).toContain('--data and --memory');
    const withUrl = await runMain(['serve', '--config', plain, '--data', dir], {
      DATABASE_URL: 'postgres://halo:pw-hidden-1@127.0.0.1:1/halo',
    });
    expect(withUrl.err).toContain('--data is the embedded database');
    expect(withUrl.err).not.toContain('pw-hidden-1');
    const wrong = join(dir, 'wrong.json');
    writeFileSync(wrong, JSON.stringify({ projects: [{ widgetKey: 'ab_test_x' }], database: 'mysql://root:pw-hidden-2@db/halo' }));
    const refused = await runMain(['serve', '--config', wrong]);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('"database" must be a postgres:// connection string');
    expect(refused.err).not.toContain('pw-hidden-2');
    const unset = join(dir, 'unset-db.json');
    writeFileSync(unset, JSON.stringify({ projects: [{ widgetKey: 'ab_test_x' }], database: '$HALO_TEST_NO_DB' }));
    expect((await runMain(['serve', '--config', unset])).err).toContain('$HALO_TEST_NO_DB is not set');
  });

  it('serve explains a missing --config, an unreadable file, a bad config and an unset $SECRET', async () => {
    expect((await runMain(['serve'])).err).toContain('--config is required');
    expect((await runMain(['serve', '--config', '/nonexistent/halo.json'])).err).toContain('cannot read /nonexistent/halo.json');
    const dir = mkdtempSync(join(tmpdir(), 'halo-cli-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ projects: [{ widgetKey: 'ab_test_x', mode: 'strict' }] }));
    const invalid = await runMain(['serve', '--config', bad, '--port', '0']);
    expect(invalid.code).toBe(1);
    expect(invalid.err).toContain('mode');
    const unset = join(dir, 'unset.json');
    writeFileSync(unset, JSON.stringify({ projects: [{ widgetKey: 'ab_test_x', identitySecrets: ['$HALO_NOT_SET'] }] }));
    expect((await runMain(['serve', '--config', unset, '--port', '0'])).err).toContain('$HALO_NOT_SET is not set');
    expect((await runMain(['serve', '--config', bad, '--port', 'eighty'])).err).toContain('--port');
  });
});

describe('halo-widget-server CLI', () => {
  it('prints help for the tool and each command', () => {
    expect(run(['--help']).stdout).toContain('halo-widget-server serve');
    for (const command of ['serve', 'report', 'secret', 'mode', 'settings', 'audit']) {
      const result = run([command, '--help']);
      expect(result.status).toBe(0);
      expect(result.stdout).toContain(`halo-widget-server ${command}`);
    }
    const unknown = run(['launch-missiles']);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain('Unknown command');
  });

  describe('keys → sign → serve', () => {
    let server: ReturnType<typeof spawn>;
    let url = '';
    let keys: { widgetKey: string; identitySecret: string };

    beforeAll(async () => {
      const generated = runTokens(['keys']);
      expect(generated.status).toBe(0);
      keys = JSON.parse(generated.stdout);
      const dir = mkdtempSync(join(tmpdir(), 'halo-cli-'));
      const config = join(dir, 'halo.config.json');
      // The secret stays out of the file: "$HALO_IDENTITY_SECRET" is read from the environment.
      writeFileSync(
        config,
        JSON.stringify({ projects: [{ widgetKey: keys.widgetKey, identitySecrets: ['$HALO_IDENTITY_SECRET'], mode: 'enforce' }] }),
      );
      // --memory: this test is about tokens; the database stores have their own (serve.crash, serve.instances).
      server = spawn(process.execPath, [BIN, 'serve', '--config', config, '--port', '0', '--memory'], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { PATH: process.env.PATH ?? '', HALO_IDENTITY_SECRET: keys.identitySecret },
      });
      url = await new Promise<string>((resolve, reject) => {
        let out = '';
        server.stdout!.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /listening on (http:\/\/\S+)/.exec(out);
          if (match) resolve(match[1]!);
        });
        server.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
      });
    });

    afterAll(() => {
      server?.kill('SIGTERM');
    });

    it('a token from `sign` is verified by `serve`; a request without one is refused', async () => {
      const signed = runTokens(['sign', '--user-id', 'alice', '--claim', 'name=Alice', '--claim', 'plan=pro', '--expires-in', '1h'], {
        HALO_IDENTITY_SECRET: keys.identitySecret,
      });
      expect(signed.status).toBe(0);
      const token = signed.stdout.trim();
      expect(signed.stdout + signed.stderr).not.toContain(keys.identitySecret);
      const post = (body: unknown) =>
        fetch(`${url}/api/sdk/chat`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      const ok = await post({ widget_key: keys.widgetKey, user_id: 'alice', user_token: token, message: 'hello' });
      expect(ok.status).toBe(200);
      const body = await ok.json();
      expect(body.identity).toEqual({ verified: true, mode: 'enforce' });
      expect(body.message.text).toContain('Alice');
      const refused = await post({ widget_key: keys.widgetKey, user_id: 'alice', message: 'hello' });
      expect(refused.status).toBe(403);
    });
  });
});
