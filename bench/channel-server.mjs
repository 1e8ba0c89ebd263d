// The server side of bench/channel.mjs: a built Halo API in its own process (so its RSS and
// CPU are its own), with an in-memory SupportStore that follows the contract (store, then
// announce), driven over IPC: `open` conversations, `write` messages, `stats`.
import { randomUUID } from 'node:crypto';
import { startHaloServer } from '../packages/halo-widget-server/dist/index.mjs';

const listeners = new Set();
const conversations = new Map();
const store = {
  notifier: { subscribe: (l) => (listeners.add(l), () => listeners.delete(l)) },
  async readMessages(project, id, { after = 0, limit }) {
    const c = conversations.get(id);
    if (!c || c.project !== project) return null;
    return { messages: c.messages.filter((m) => m.seq > after).slice(0, limit), has_more: false };
  },
  async appendMessage(project, id, message) {
    const c = conversations.get(id);
    if (!c || c.project !== project) return null;
    const stored = {
      id: randomUUID(),
      conversation_id: id,
      seq: c.messages.length + 1,
      author: message.author,
      text: message.text,
      created_at: new Date().toISOString(),
    };
    c.messages.push(stored);
    const event = {
      type: 'message.created',
      project,
      conversation_id: id,
      owner: c.owner,
      seq: stored.seq,
      message_id: stored.id,
      author: stored.author,
    };
    queueMicrotask(() => listeners.forEach((l) => l(event)));
    return stored;
  },
  async getSummary(project, id) {
    const c = conversations.get(id);
    return c && c.project === project
      ? {
          id,
          project,
          owner: c.owner,
          status: 'open',
          needs_human: false,
          assignee: null,
          last_seq: c.messages.length,
          last_message_at: '',
          created_at: '',
        }
      : null;
  },
  async updateConversation() {
    return null;
  },
};

const KEY = 'ab_test_benchchannel0';
const server = await startHaloServer({
  projects: [{ widgetKey: KEY, mode: 'off' }],
  supportStore: store,
  rateLimit: false,
  logger: { info() {}, warn() {}, error: console.error },
  maxConnections: 30_000,
  maxConnectionsPerAddress: 30_000,
  channel: { maxChannels: 30_000, maxChannelsPerAddress: 30_000 },
});
const cpu0 = process.cpuUsage();
process.on('message', async (msg) => {
  if (msg.cmd === 'open') {
    for (const owner of msg.owners) conversations.set(`c_${owner}`, { project: KEY, owner: `visitor:${owner}`, messages: [] });
    process.send({ ok: true });
  } else if (msg.cmd === 'write') {
    await store.appendMessage(KEY, `c_${msg.owner}`, { author: 'agent', text: String(performance.timeOrigin + performance.now()) });
  } else if (msg.cmd === 'stats') {
    global.gc?.();
    const { user, system } = process.cpuUsage(cpu0);
    process.send({ rss: process.memoryUsage().rss, cpuMs: (user + system) / 1000 });
  } else if (msg.cmd === 'stop') {
    await server.close();
    process.exit(0);
  }
});
process.send({ url: server.url, key: KEY });
