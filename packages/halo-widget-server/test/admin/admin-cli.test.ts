// The admin commands of the CLI against a real server: report table, secret rotate/retire,
// mode set, settings and audit, with the operator token from the environment only.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, type CliIO } from '../../src/cli/main.js';
import { generateProjectKeys, signUserToken, startHaloServer, type HaloServer } from '../../src/index.js';
import { silentLogger } from '../../../../test/helpers/server.js';

const TOKEN = 'op_cli_token_0123456789abcdef';

async function cli(argv: string[], env: Record<string, string | undefined>) {
  let out = '';
  let err = '';
  const io: CliIO = { out: (text) => void (out += text), err: (text) => void (err += text), env };
  const code = await main(argv, io);
  return { code, out, err };
}

describe('the admin CLI commands', () => {
  const { widgetKey, identitySecret } = generateProjectKeys();
  let server: HaloServer;
  let env: Record<string, string>;
  const chat = (userId: string, token?: string) =>
    fetch(`${server.url}/api/sdk/chat`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ widget_key: widgetKey, user_id: userId, user_token: token, message: 'hi' }),
    });

  beforeAll(async () => {
    server = await startHaloServer({
      projects: [{ widgetKey, identitySecrets: [identitySecret] }],
      logger: silentLogger(),
      admin: { token: TOKEN },
    });
    env = { HALO_ADMIN_TOKEN: TOKEN, HALO_URL: server.url };
  });
  afterAll(() => server.close());

  it('refuses to run without HALO_ADMIN_TOKEN, and says so when the server refuses it', async () => {
    const missing = await cli(['report', '--url', server.url], {});
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('Set HALO_ADMIN_TOKEN');
    const wrong = await cli(['report'], { ...env, HALO_ADMIN_TOKEN: 'wrong-token-0123456789' });
    expect(wrong.code).toBe(1);
    expect(wrong.err).toContain('refused HALO_ADMIN_TOKEN (401)');
  });

  it('report prints a table of results per window and the verdict; exit 3 while enforce is not safe', async () => {
    await chat('alice', await signUserToken({ user_id: 'alice' }, identitySecret, { expiresIn: 600 }));
    await chat('bob');
    await chat('carol', 'not.a.token');
    const { code, out } = await cli(['report', '--url', server.url, '--widget-key', widgetKey], env);
    expect(code).toBe(3);
    expect(out).toMatch(/^verified\s+1\s+1\s+1\s+1\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+alice$/m);
    expect(out).toMatch(/^token_missing\s+1\s+1\s+1\s+1\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+bob$/m);
    expect(out).toMatch(/^token_invalid\s+1\s+1\s+1\s+1\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+carol$/m);
    expect(out).toContain('Enforce would refuse: 1h 66.7 % (2/3)');
    expect(out).toContain('SDK versions (24h): unknown 3');
    expect(out).toContain('Likely attacks (24h): 1 user id(s) with forged-looking tokens, e.g. carol');
    expect(out).toMatch(/Verdict \(24h\): Not safe to enforce: 1 user sends/);
  });

  it('secret rotate prints the new secret once on stdout; list never shows it; retire ends the old one', async () => {
    const rotated = await cli(['secret', 'rotate'], env);
    expect(rotated.code).toBe(0);
    const fresh = rotated.out.trim();
    expect(fresh).toMatch(/^ha_secret_/);
    expect(rotated.err).toContain('halo-widget-server secret retire --id');
    const list = await cli(['secret', 'list'], env);
    expect(list.out).not.toContain(fresh);
    expect(list.out).toContain(`…${fresh.slice(-4)}`);
    const oldId = new RegExp(`(sec_[0-9a-f]+)  …${identitySecret.slice(-4)}`).exec(list.out)![1]!;
    expect((await cli(['mode', 'set', 'enforce'], env)).out).toContain('mode enforce,');
    const retired = await cli(['secret', 'retire', '--id', oldId], env);
    expect(retired.code).toBe(0);
    expect(retired.out).toMatch(new RegExp(`${oldId}  …----  \\S+  retired`));
    expect((await chat('alice', await signUserToken({ user_id: 'alice' }, identitySecret, { expiresIn: 600 }))).status).toBe(403);
    expect((await chat('alice', await signUserToken({ user_id: 'alice' }, fresh, { expiresIn: 600 }))).status).toBe(200);
  });

  it('settings sets origins and the token lifetime; audit lists every change newest first', async () => {
    const set = await cli(
      ['settings', '--allowed-origins', 'https://app.example.com, https://admin.example.com', '--max-token-lifetime', '24h'],
      env,
    );
    expect(set.out).toContain('allowed origins https://app.example.com, https://admin.example.com, max token lifetime 24h');
    const audit = await cli(['audit'], env);
    const actions = audit.out
      .trim()
      .split('\n')
      .map((line) => line.split('  ')[2]);
    expect(actions).toEqual(['settings.update', 'secret.retire', 'settings.update', 'secret.generate', 'project.import']);
    expect(audit.out).toMatch(/ cli \S+ from 127\.0\.0\.1 /);
  });

  it('mode set refuses an unknown mode with the command’s help', async () => {
    const answer = await cli(['mode', 'set', 'strict'], env);
    expect(answer.code).toBe(1);
    expect(answer.err).toContain('halo-widget-server mode set off|monitor|enforce|default');
  });
});
