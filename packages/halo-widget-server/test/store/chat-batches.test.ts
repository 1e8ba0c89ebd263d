// Many chats' openings, and many exchanges, in one statement each — on a real PostgreSQL and on
// PGlite (whose client inlines the batch's arrays as literals): one conversation per new
// identity however many of its chats share a batch, history-isolation for named conversations,
// a retry inside one batch stored once, the version guard, and awkward text kept as it was.
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appendExchanges as appendWithCaps,
  openChats,
  type AppendInput,
  type OpenInput,
  type ReplyRow,
} from '../../src/store/chat-batches.js';
import { migrate } from '../../src/store/migrate.js';
import { createPgClient, createPgliteClient, type SqlClient } from '../../src/store/sql-client.js';
import { usePostgres } from '../../../../test/helpers/postgres.js';

const pg = usePostgres();
const engines = [
  {
    name: 'PostgreSQL',
    connect: async () => createPgClient({ connectionString: await pg.cluster.createDatabase('batches'), max: 2 }),
  },
  { name: 'PGlite', connect: async () => createPgliteClient(await PGlite.create(), { owned: true }) },
];

const PROJECT = 'project-1';
const CAPS = { maxMessages: 10_000, maxBytes: 5_000_000 };
/** The batch statement with the default caps; its answers as reply rows (no cap is reached here). */
const appendExchanges = async (client: SqlClient, inputs: AppendInput[]) =>
  (await appendWithCaps(client, inputs, CAPS)) as (ReplyRow | null)[];
let ids = 0;
const opening = (owner: string, more: Partial<OpenInput> = {}): OpenInput => ({
  project: PROJECT,
  owner,
  requested: null,
  clientMessageId: null,
  fresh: `c-${++ids}`,
  ...more,
});
const exchange = (conversationId: string, more: Partial<AppendInput> = {}): AppendInput => {
  const n = ++ids;
  return {
    conversationId,
    clientMessageId: `cm-${n}`,
    messageId: `m-${n}`,
    messageText: `question ${n}`,
    verified: true,
    replyId: `r-${n}`,
    replyText: `answer ${n}`,
    replyVerified: false,
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
    guard: null,
    ...more,
  };
};

// Characters that PostgreSQL's array and string syntaxes give a meaning to, and the word NULL.
const AWKWARD = ["it's", 'back\\slash \\\\ \\x41', '"double"', '{braces}', 'a,b', '{"a","b"}', 'NULL', '', 'ünïcødé ✓ 🎉'];

describe.each(engines)('chat batches on $name', ({ connect }) => {
  let client: SqlClient;
  beforeAll(async () => {
    client = await connect();
    await migrate(client);
  }, 60_000);
  afterAll(async () => {
    await client?.close();
  });

  const count = async (sql: string, params: unknown[]) =>
    (await client.query<{ n: number }>(`select count(*)::int as n ${sql}`, params)).rows[0]!.n;
  const conversationOf = async (owner: string) => (await openChats(client, [opening(owner)]))[0]!.id;

  it('opens one conversation for two first chats of one identity in one batch, and both continue it', async () => {
    const answers = await openChats(client, [opening('o-twice'), opening('o-beside'), opening('o-twice')]);
    const [first, beside, second] = answers.map((answer) => answer!.id);
    expect(second).toBe(first);
    expect(beside).not.toBe(first);
    expect(await count('from conversations where project = $1 and owner = $2', [PROJECT, 'o-twice'])).toBe(1);
    const latest = await client.query<{ id: string }>(
      'select latest_conversation_id as id from identities where project = $1 and owner = $2',
      [PROJECT, 'o-twice'],
    );
    expect(latest.rows).toEqual([{ id: first }]);
    expect((await openChats(client, [opening('o-twice')]))[0]!.id).toBe(first);
  });

  it('answers null for a conversation named by another identity, another project or nobody, and opens it for its owner', async () => {
    const id = await conversationOf('o-owner');
    const answers = await openChats(client, [
      opening('o-intruder', { requested: id }),
      opening('o-owner', { requested: id }),
      opening('o-owner', { requested: id, project: 'project-2' }),
      opening('o-owner', { requested: 'c-nobody' }),
    ]);
    expect(answers.map((answer) => answer?.id ?? null)).toEqual([null, id, null, null]);
    expect(await count('from conversations where id = $1', ['c-nobody'])).toBe(0);
  });

  it('stores an exchange repeated within one batch once and answers both with the stored row', async () => {
    const id = await conversationOf('o-retry');
    const repeated = { clientMessageId: 'cm-same' };
    const answers = await appendExchanges(client, [
      exchange(id, { ...repeated, replyText: 'the first' }),
      exchange(id, { ...repeated, replyText: 'the second' }),
      exchange(id, { clientMessageId: null }),
    ]);
    expect(answers[0]).toEqual(answers[1]);
    expect(answers[0]!.reply_text).toBe('the first');
    expect(answers[2]!.reply_id).not.toBe(answers[0]!.reply_id);
    expect(await count('from messages where conversation_id = $1', [id])).toBe(4);
    // A later batch repeating it finds the row on record, too.
    const [again] = await appendExchanges(client, [exchange(id, { ...repeated, replyText: 'the third' })]);
    expect(again).toEqual(answers[0]);
    expect(await count('from messages where conversation_id = $1', [id])).toBe(4);
    // Two messages each, numbered in the order of the batch.
    expect([answers[0]!.reply_seq, answers[2]!.reply_seq]).toEqual([2, 4]);
  });

  it('writes a guarded exchange only while the identity is at the guarded version', async () => {
    const id = await conversationOf('o-guard');
    const version = async () =>
      (
        await client.query<{ v: string }>('select version::text as v from identities where project = $1 and owner = $2', [
          PROJECT,
          'o-guard',
        ])
      ).rows[0]!.v;
    const stale = await version();
    await client.query('update identities set version = version + 1 where project = $1 and owner = $2', [PROJECT, 'o-guard']);
    const current = await version();
    const answers = await appendExchanges(client, [
      exchange(id, { clientMessageId: 'g-stale', guard: { project: PROJECT, owner: 'o-guard', version: stale } }),
      exchange(id, { clientMessageId: 'g-current', guard: { project: PROJECT, owner: 'o-guard', version: current } }),
    ]);
    expect(answers[0]).toBeNull();
    expect(answers[1]).toMatchObject({ reply_text: expect.any(String) });
    expect(await count('from messages where conversation_id = $1 and client_message_id = $2', [id, 'g-stale'])).toBe(0);
    expect(await count('from messages where conversation_id = $1 and client_message_id = $2', [id, 'g-current'])).toBe(2);
  });

  it('refuses a guarded exchange into another identity’s conversation, even at that identity’s current version', async () => {
    const theirs = await conversationOf('o-owner');
    await conversationOf('o-intruder');
    const { rows } = await client.query<{ v: string }>('select version::text as v from identities where project = $1 and owner = $2', [
      PROJECT,
      'o-intruder',
    ]);
    const [answer] = await appendExchanges(client, [
      exchange(theirs, { clientMessageId: 'g-intrude', guard: { project: PROJECT, owner: 'o-intruder', version: rows[0]!.v } }),
    ]);
    expect(answer).toBeNull();
    expect(await count('from messages where conversation_id = $1', [theirs])).toBe(0);
  });

  it('keeps quotes, backslashes, double quotes, braces, commas, the word NULL, NULL client ids and unicode as they were', async () => {
    const [project, owner] = ['p {"x",\\y}', 'o\'wner, "NULL"'];
    const [opened] = await openChats(client, [opening(owner, { project })]);
    const id = opened!.id;
    const inputs = AWKWARD.map((text, i) =>
      exchange(id, {
        clientMessageId: i % 2 ? null : `${text}#${i}`,
        messageText: `${text} ?`,
        replyText: `${text} !`,
        messageId: `m ${text} ${i}`,
      }),
    );
    const answers = await appendExchanges(client, inputs);
    expect(answers.map((answer) => answer!.reply_text)).toEqual(AWKWARD.map((text) => `${text} !`));
    const stored = await client.query('select client_message_id, id, text from messages where conversation_id = $1 order by seq', [id]);
    expect(stored.rows).toEqual(
      inputs.flatMap((input) => [
        { client_message_id: input.clientMessageId, id: input.messageId, text: input.messageText },
        { client_message_id: input.clientMessageId, id: input.replyId, text: input.replyText },
      ]),
    );
    expect((await client.query('select project, owner from conversations where id = $1', [id])).rows).toEqual([{ project, owner }]);
    // A retry under the awkward identity and client message id finds the reply on record.
    const [retry] = await openChats(client, [opening(owner, { project, clientMessageId: inputs[0]!.clientMessageId })]);
    expect(retry).toMatchObject({ id, reply_id: inputs[0]!.replyId, reply_text: inputs[0]!.replyText });
  });
});

// Two statements at once on PostgreSQL (another batch, another instance): the first one's
// transaction is held open, the second runs until it waits on the first's row, then the first
// commits. Both must end with one answer for the identity and for the retried exchange.
describe('chat batches on PostgreSQL, while another statement holds the same rows', () => {
  let url: string;
  let client: SqlClient;
  let first: SqlClient;
  beforeAll(async () => {
    url = await pg.cluster.createDatabase('batches_race');
    client = await createPgClient({ connectionString: url, max: 2 });
    first = await createPgClient({ connectionString: url, max: 1 }); // one connection: begin … commit on it
    await migrate(client);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([client?.close(), first?.close()]);
  });

  /** Runs `second` while `held` sits uncommitted on `first`, and commits once `second` waits on a lock. */
  async function whileHeld<T>(held: () => Promise<unknown>, second: () => Promise<T>): Promise<T> {
    await first.exec('begin');
    await held();
    const answer = second();
    for (let tries = 0; ; tries++) {
      const { rows } = await first.query<{ n: number }>(
        "select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and pid <> pg_backend_pid()",
        [],
      );
      if (rows[0]!.n > 0) break;
      if (tries > 500) throw new Error('the second statement never waited on the first');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await first.exec('commit');
    return answer;
  }

  it('continues the conversation the first statement gave a new identity', async () => {
    let mine = '';
    const [theirs] = await whileHeld(
      async () => (mine = (await openChats(first, [opening('o-race')]))[0]!.id),
      () => openChats(client, [opening('o-race')]),
    );
    expect(theirs!.id).toBe(mine);
  });

  it('answers a retry with the row the first statement stored', async () => {
    const id = (await openChats(client, [opening('o-race-retry')]))[0]!.id;
    let stored: unknown;
    const [again] = await whileHeld(
      async () => ([stored] = await appendExchanges(first, [exchange(id, { clientMessageId: 'cm-race', replyText: 'first' })])),
      () => appendExchanges(client, [exchange(id, { clientMessageId: 'cm-race', replyText: 'second' })]),
    );
    expect(again).toEqual(stored);
    expect((await client.query("select text from messages where conversation_id = $1 and author = 'assistant'", [id])).rows).toEqual([
      { text: 'first' },
    ]);
  });
});
