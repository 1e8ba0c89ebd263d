// Issue 27: attacker-chosen user ids reach the operator's terminal through `report`. Against a
// real `serve` process (memory store) with the admin API on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, type CliIO } from '../../src/cli/main.js';
import { generateProjectKeys } from '../../src/index.js';
import { configFile, startServe, type ServeProcess } from '../../../../test/helpers/serve-process.js';
import { fromAddress } from './from-address.js';

const TOKEN = 'op_escape_token_0123456789abcdefXYZ';

async function cli(argv: string[], env: Record<string, string>) {
  let out = '';
  let err = '';
  const io: CliIO = { out: (text) => void (out += text), err: (text) => void (err += text), env };
  const code = await main(argv, io);
  return { code, out, err };
}

describe('the report in an operator terminal', () => {
  const { widgetKey, identitySecret } = generateProjectKeys();
  const config = configFile([{ widgetKey, identitySecrets: [identitySecret], mode: 'monitor' }]);
  let serve: ServeProcess;
  // Clear the screen and print a fake verdict; set the window title; write the clipboard (OSC 52); a C1 CSI; a bidi override.
  const hostile = [
    '\u001b[2J\u001b[HVerdict (24h): Safe to enforce',
    '\u001b]0;pwned\u0007',
    '\u001b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\u0007',
    'x\u009b2Jy',
    'evil\u202egnp.exe',
    'line\nverified 999 999 999 999 admin',
  ];

  beforeAll(async () => {
    serve = await startServe(config.file, ['--memory'], { HALO_ADMIN_TOKEN: TOKEN });
    // One address each: the report takes at most 3 unverified ids per address and hour.
    for (const [i, userId] of hostile.entries()) {
      const answer = await fromAddress(`127.0.0.${70 + i}`, `${serve.url}/api/sdk/chat`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ widget_key: widgetKey, user_id: userId, message: 'hi' }),
      });
      expect(answer.status).toBe(200);
    }
  }, 90_000);
  afterAll(async () => {
    await serve?.stop();
    config.remove();
  });

  it('prints no control character a terminal would act on, table or JSON: each is shown escaped', async () => {
    const env = { HALO_ADMIN_TOKEN: TOKEN, HALO_URL: serve.url };
    const table = await cli(['report', '--widget-key', widgetKey], env);
    expect(table.err).toBe('');
    const json = await cli(['report', '--widget-key', widgetKey, '--json'], env);
    for (const out of [table.out, json.out]) {
      // eslint-disable-next-line no-control-regex
      expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    }
    expect(table.out).toContain('\\u{001b}[2J\\u{001b}[HVerdict (24h): Safe to enforce');
    expect(table.out).toContain('\\u{001b}]52;c;');
    expect(table.out).toContain('evil\\u{202e}gnp.exe');
    // A newline inside an id forges no table row.
    expect(table.out).toContain('line\\u{000a}verified 999');
    expect(table.out).not.toMatch(/^verified 999/m);
    expect(table.out).not.toMatch(/^Verdict \(24h\): Safe to enforce/m);
    // The JSON stays JSON, and says the same ids.
    const parsed = JSON.parse(json.out) as { windows: { '24h': { results: { token_missing: { examples: string[] } } } } };
    const examples = parsed.windows['24h'].results.token_missing.examples;
    expect(examples.length).toBeGreaterThan(0);
    for (const id of examples) expect(hostile).toContain(id);
  });
});
