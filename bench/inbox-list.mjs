// The inbox list on PostgreSQL at 100 000 conversations: listConversations (first page, a status
// filter, a deep keyset page) and its search (q on name, email, user id), p50/p99 over repeated
// calls, with the EXPLAIN (ANALYZE) plan of each query. A throwaway cluster (fsync off: reads
// are measured). Needs a build (`npm run build`). Run alone: `node bench/inbox-list.mjs [conversations]`.
import { performance } from 'node:perf_hooks';
import { startPostgres } from '../test/helpers/postgres-cluster.mjs';

const server = await import('../packages/halo-widget-server/dist/index.mjs');
const COUNT = Number(process.argv[2] ?? 100_000);
const RUNS = 200;
const PROJECT = 'ab_bench_inbox';

const cluster = await startPostgres();
try {
  const url = await cluster.createDatabase('inbox');
  const inner = await server.createPgClient({ connectionString: url, max: 4 });
  let last = null;
  const client = {
    engine: inner.engine,
    query: (text, params) => ((last = { text, params }), inner.query(text, params)),
    exec: (text) => inner.exec(text),
    transaction: (fn) => inner.transaction(fn),
    close: () => inner.close(),
  };
  const store = await server.createPostgresStore({ client });
  const started = performance.now();
  // Conversations and identities in bulk (SQL), as many chats would have left them: every
  // fifth user verified (claims), the others with client traits; a fifth resolved; two messages each.
  await inner.exec(`
    insert into conversations (id, project, owner, created_at, last_message_at, last_seq, status)
    select 'conv_' || g, '${PROJECT}', case when g % 3 = 0 then 'visitor:v' || g else 'user:u' || g end,
      now() - make_interval(secs => g), now() - make_interval(secs => g), 2, case when g % 5 = 0 then 'resolved' else 'open' end
    from generate_series(1, ${COUNT}) g;
    insert into identities (project, owner, latest_conversation_id, traits, claims, claims_at)
    select '${PROJECT}', owner, id,
      case when n % 5 <> 0 then json_build_object('name', json_build_object('value', 'Client ' || n, 'verified', false, 'at', 1),
        'email', json_build_object('value', 'client' || n || '@example.com', 'verified', false, 'at', 1)) end,
      case when n % 5 = 0 then json_build_object('name', 'Verified Person ' || n, 'email', 'person' || n || '@corp.example') end,
      case when n % 5 = 0 then now() end
    from (select id, owner, substring(id from 6)::int as n from conversations) c;
    -- The two messages each conversation's last_seq counts: the list joins the last one (preview).
    insert into messages (conversation_id, seq, id, author, text, created_at)
    select c.id, s, 'msg_' || c.id || '_' || s, case when s = 1 then 'user' else 'assistant' end,
      repeat('A question or an answer of some length. ', 8), c.last_message_at
    from conversations c cross join generate_series(1, 2) s;
    analyze conversations; analyze identities; analyze messages;`);
  console.log(`${COUNT} conversations loaded in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const { rows: ext } = await inner.query("select extname from pg_extension where extname = 'pg_trgm'");
  console.log(`pg_trgm: ${ext.length ? 'installed (trigram index on identities.search)' : 'not available (search scans)'}`);

  const first = await store.listConversations({ projects: [PROJECT], limit: 50 });
  let deep = first.next;
  for (let i = 0; i < 20; i++) deep = (await store.listConversations({ projects: [PROJECT], limit: 50, after: deep })).next;
  const cases = [
    ['list, first page', { projects: [PROJECT], limit: 50 }],
    ['list, status=open', { projects: [PROJECT], status: 'open', limit: 50 }],
    ['list, verified only', { projects: [PROJECT], verified: true, limit: 50 }],
    ['list, page 22 (keyset)', { projects: [PROJECT], limit: 50, after: deep }],
    ['search, a name ("person 4711")', { projects: [PROJECT], q: 'person 4711', limit: 50 }],
    ['search, an email ("client77@")', { projects: [PROJECT], q: 'client77@', limit: 50 }],
    ['search, a user id ("u99998")', { projects: [PROJECT], q: 'u99998', limit: 50 }],
    ['search, common ("example")', { projects: [PROJECT], q: 'example', limit: 50 }],
  ];
  const rows = [];
  for (const [name, query] of cases) {
    const times = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      await store.listConversations(query);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const plan = await inner.query(`explain (analyze, buffers off, costs off) ${last.text}`, last.params);
    rows.push({ name, p50: times[Math.floor(RUNS * 0.5)].toFixed(2), p99: times[Math.floor(RUNS * 0.99)].toFixed(2) });
    console.log(`\n## ${name}\n${plan.rows.map((r) => r['QUERY PLAN']).join('\n')}`);
  }
  console.log(`\n| query (${COUNT} conversations, limit 50) | p50 ms | p99 ms |\n|---|---|---|`);
  for (const row of rows) console.log(`| ${row.name} | ${row.p50} | ${row.p99} |`);
  await store.close();
} finally {
  await cluster.remove();
}
