// Issue 27: one NUL byte in a token-less user id froze the rollout report of every project on
// PostgreSQL and PGlite; a client_message_id starting with U+FEFF gave a 500 on PGlite. Real
// `serve` processes on both databases, the admin API on.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateProjectKeys } from '../../src/index.js';
import { usePostgres } from '../../../../test/helpers/postgres.js';
import { call, configFile, startServe, type ServeProcess } from '../../../../test/helpers/serve-process.js';

const TOKEN = 'op_storable_token_0123456789abcdefXYZ';
const pg = usePostgres();
const { widgetKey, identitySecret } = generateProjectKeys();
const config = configFile([{ widgetKey, identitySecrets: [identitySecret], mode: 'monitor' }]);
const dataDir = mkdtempSync(join(tmpdir(), 'halo-storable-'));
afterAll(() => {
  config.remove();
  rmSync(dataDir, { recursive: true, force: true });
});

async function report(serve: ServeProcess): Promise<{ examples: string[]; requests: number }> {
  const response = await fetch(`${serve.url}/api/admin/projects/${widgetKey}/identity-report`, {
    headers: { Authorization: `Bearer ${TOKEN}` },
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { windows: { '1h': { results: { token_missing: { examples: string[]; requests: number } } } } };
  return body.windows['1h'].results.token_missing;
}

const stores: [string, () => Promise<ServeProcess>][] = [
  ['PGlite', () => startServe(config.file, ['--data', dataDir], { HALO_ADMIN_TOKEN: TOKEN })],
  ['PostgreSQL', () => startServe(config.file, [], { HALO_ADMIN_TOKEN: TOKEN, DATABASE_URL: pg.cluster.url })],
];

describe.each(stores)('text no store can keep, on %s', (_name, start) => {
  it('is refused with 400 naming the field, and counting goes on for the requests after it', async () => {
    const serve = await start();
    try {
      const base = { widget_key: widgetKey, message: 'hi' };
      const refused = [
        { ...base, user_id: 'x\u0000' },
        { ...base, visitor_id: 'v\u0000' },
        { ...base, user_id: 'lone\ud800' },
        { ...base, user_id: 'u1', message: 'a\u0000b' },
        { ...base, user_id: 'u1', message: 'a\udc00b' },
        { ...base, user_id: 'u1', user_traits: { plan: 'p\u0000' } },
        { ...base, user_id: 'u1', user_traits: { 'k\u0000': 1 } },
        { ...base, user_id: 'u1', client_message_id: '\ufeffcm-1' },
      ];
      for (const body of refused) {
        const answer = await call(serve.url, 'chat', body);
        expect(answer.status, JSON.stringify(body)).toBe(400);
        expect(answer.body.error.code).toBe('invalid_request');
      }
      const identify = await call(serve.url, 'identify', { widget_key: widgetKey, user_id: 'x\u0000' });
      expect(identify.status).toBe(400);
      expect(identify.body.error.message).toContain('`user_id`');
      // The next requests are counted: the report is not frozen.
      expect((await call(serve.url, 'chat', { ...base, user_id: 'after-nul' })).status).toBe(200);
      const line = await report(serve);
      expect(line.examples).toContain('after-nul');
      expect(serve.output()).not.toMatch(/could not write the identity report/);
      // A BOM inside an id (not leading) and astral characters are ordinary text.
      expect((await call(serve.url, 'chat', { ...base, user_id: 'a\ufeffb😀', client_message_id: 'c\ufeff1' })).status).toBe(200);
    } finally {
      await serve.stop();
    }
  }, 120_000);
});
