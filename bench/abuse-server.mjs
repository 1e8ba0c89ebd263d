// The server for the abuse bench, in its own process so its memory is its own: the built
// startHaloServer with the memory store and the given config (JSON in argv). Tells the parent
// its URL over IPC, its memory when asked, and stops when told.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [root, configJson] = process.argv.slice(2);
const { createMemoryStore, startHaloServer } = await import(pathToFileURL(join(root, '../halo-widget-server/dist/index.mjs')).href);
const quiet = { info() {}, warn() {}, error: (...args) => console.error(...args) };
// HALO_ABUSE_STORE='{"maxIdentities":2000,…}' measures the memory store with other bounds
// than its defaults; unset, the defaults are what is measured.
const storeOptions = process.env.HALO_ABUSE_STORE ? JSON.parse(process.env.HALO_ABUSE_STORE) : null;
const store = storeOptions ? { store: createMemoryStore(storeOptions) } : {};
const server = await startHaloServer({ ...JSON.parse(configJson), ...store, logger: quiet, port: 0 });
process.on('message', async (message) => {
  if (message === 'memory') process.send({ memory: process.memoryUsage() });
  if (message === 'stop') {
    await server.close();
    process.exit(0);
  }
});
process.send({ url: server.url });
