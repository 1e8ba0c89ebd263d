// The server side of bench/channel.mjs: a built Halo API in its own process (so its RSS and
// CPU are its own) on a real store — the memory store, or PostgreSQL when DATABASE_URL is set
// (two of these on one database are two instances) — driven over IPC: `open` conversations
// (one per visitor, as its first chat opens it), `write` an agent's message, `stats`.
import { createMemoryStore, createPostgresStore, startHaloServer } from '../packages/halo-widget-server/dist/index.mjs';

const store = process.env.DATABASE_URL ? await createPostgresStore({ connectionString: process.env.DATABASE_URL }) : createMemoryStore();
const conversations = new Map();
const KEY = 'ab_test_benchchannel0';
const server = await startHaloServer({
  projects: [{ widgetKey: KEY, mode: 'off' }],
  store,
  rateLimit: false,
  logger: { info() {}, warn() {}, error: console.error },
  maxConnections: 30_000,
  maxConnectionsPerAddress: 30_000,
  channel: { maxChannels: 30_000, maxChannelsPerAddress: 30_000 },
});
let made = 0;
const opening = (text) => {
  const at = new Date().toISOString();
  made += 1;
  return {
    message: { id: `msg_bq${process.pid}_${made}`, text, created_at: at },
    reply: { id: `msg_ba${process.pid}_${made}`, text, created_at: at },
  };
};
const cpu0 = process.cpuUsage();
process.on('message', async (msg) => {
  if (msg.cmd === 'open') {
    for (let i = 0; i < msg.owners.length; i += 50) {
      await Promise.all(
        msg.owners.slice(i, i + 50).map(async (owner) => {
          const opened = await store.chatExchange(KEY, `visitor:${owner}`, null, null, async () => opening('hello'));
          conversations.set(owner, opened.conversation.id);
        }),
      );
    }
    process.send({ ok: true });
  } else if (msg.cmd === 'write') {
    // The write's start, on the shared clock: the receipt minus this is write → receipt.
    const text = String(performance.timeOrigin + performance.now());
    await store.appendMessage(KEY, conversations.get(msg.owner), { author: 'agent', text, client_message_id: null });
  } else if (msg.cmd === 'stats') {
    global.gc?.();
    const { user, system } = process.cpuUsage(cpu0);
    process.send({ rss: process.memoryUsage().rss, cpuMs: (user + system) / 1000 });
  } else if (msg.cmd === 'stop') {
    await server.close();
    await store.close?.();
    process.exit(0);
  }
});
process.send({ url: server.url, key: KEY });
