// The CLI end to end: `keys`, then `sign` with the secret from the environment, then a
// request to `serve` that verifies in enforce mode.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/halo-widget.mjs', import.meta.url));
const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '', ...env } });

beforeAll(() => {
  if (!existsSync(new URL('../../dist/server/cli.mjs', import.meta.url))) {
    throw new Error('dist/ is missing: run `npm run build` before the tests (npm test does).');
  }
});

describe('halo-widget CLI', () => {
  it('prints help for the tool and each command', () => {
    expect(run(['--help']).stdout).toContain('halo-widget keys');
    for (const command of ['keys', 'sign', 'serve']) {
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

  describe('keys → sign → serve', () => {
    let server: ReturnType<typeof spawn>;
    let url = '';
    let keys: { widgetKey: string; identitySecret: string };

    beforeAll(async () => {
      const generated = run(['keys']);
      expect(generated.status).toBe(0);
      keys = JSON.parse(generated.stdout);
      const dir = mkdtempSync(join(tmpdir(), 'halo-cli-'));
      const config = join(dir, 'halo.config.json');
      writeFileSync(config, JSON.stringify({ projects: [{ widgetKey: keys.widgetKey, identitySecrets: [keys.identitySecret], mode: 'enforce' }] }));
      server = spawn(process.execPath, [BIN, 'serve', '--config', config, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
      url = await new Promise<string>((resolve, reject) => {
        let out = '';
        server.stdout!.on('data', (chunk: Buffer) => {
          out += chunk;
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
      const signed = run(['sign', '--user-id', 'alice', '--claim', 'name=Alice', '--claim', 'plan=pro', '--expires-in', '1h'], {
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
