// Retention: `halo-widget-server purge` deletes anonymous conversations idle past the age, with
// their messages, on PostgreSQL and on the embedded database; users' conversations stay.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { createEmbeddedStore } from '../../src/store/create-embedded-store.js';
import { createPostgresStore } from '../../src/store/create-postgres-store.js';
import type { SqlConversationStore } from '../../src/store/sql-store.js';
import { usePostgres } from '../../../../test/helpers/postgres.js';
import { chatOnce } from './exchange-helpers.js';

const pg = usePostgres();
const dir = mkdtempSync(join(tmpdir(), 'halo-purge-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Three conversations: an old visitor's, a recent visitor's, an old user's. */
async function seed(store: SqlConversationStore) {
  const old = (await chatOnce(store, 'p', 'visitor:old', null, null, 'q', 'a'))!.conversation.id;
  const recent = (await chatOnce(store, 'p', 'visitor:recent', null, null, 'q', 'a'))!.conversation.id;
  const user = (await chatOnce(store, 'p', 'user:old', null, null, 'q', 'a'))!.conversation.id;
  await store.client.query("update conversations set last_message_at = now() - interval '40 days' where id = any($1::text[])", [
    [old, user],
  ]);
  await store.client.query("update identities set updated_at = now() - interval '40 days' where owner = 'visitor:old'");
  return { old, recent, user };
}

async function run(args: string[], env: Record<string, string | undefined> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['purge', ...args], { out: (t) => void out.push(t), err: (t) => void err.push(t), env });
  return { code, out: out.join(''), err: err.join('') };
}

describe('halo-widget-server purge', () => {
  it('on PostgreSQL: a dry run counts, then the visitor conversation idle past the age goes with its messages', async () => {
    const url = await pg.cluster.createDatabase('purge');
    const store = await createPostgresStore({ connectionString: url });
    try {
      const { old, recent, user } = await seed(store);
      const config = join(dir, 'halo.config.json');
      writeFileSync(config, JSON.stringify({ projects: [], database: url, retention: { visitorConversationsDays: 30 } }));
      const dry = await run(['--config', config, '--dry-run']);
      expect(dry).toMatchObject({
        code: 0,
        out: expect.stringContaining('Would purge 1 visitor conversation(s), 2 message(s), idle for over 30 day(s)'),
      });
      expect(dry.out).not.toContain('postgres://');
      expect(await store.getSummary('p', old)).not.toBeNull();
      expect((await run(['--config', config])).out).toContain('Purged 1 visitor conversation(s)');
      expect(await store.getSummary('p', old)).toBeNull();
      expect((await store.client.query('select count(*)::int as n from messages where conversation_id = $1', [old])).rows).toEqual([
        { n: 0 },
      ]);
      expect(await store.findConversation('p', 'visitor:old', null)).toBeNull();
      expect(await store.getSummary('p', recent)).not.toBeNull();
      expect(await store.getSummary('p', user)).not.toBeNull();
      // A longer age than the conversation's idleness purges nothing.
      await seed(store);
      expect((await run(['--config', config, '--older-than', '60d'])).out).toContain('Purged 0');
    } finally {
      await store.close();
    }
  }, 60_000);

  it('on the embedded database in --data, and refuses an age that is not a number of days', async () => {
    const data = join(dir, 'embedded');
    const store = await createEmbeddedStore({ dataDir: data });
    const { old, recent } = await seed(store);
    await store.close();
    expect((await run(['--data', data, '--older-than', '30d'])).out).toContain('Purged 1 visitor conversation(s), 2 message(s)');
    const again = await createEmbeddedStore({ dataDir: data });
    try {
      expect(await again.getSummary('p', old)).toBeNull();
      expect(await again.getSummary('p', recent)).not.toBeNull();
    } finally {
      await again.close();
    }
    const bad = await run(['--data', data, '--older-than', 'soon']);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('--older-than must be a number of days');
  }, 60_000);
});
