// A server for the API bench, run in its own process so the load generator does not share
// its event loop: `halo` (startHaloServer, enforce mode) or `bare` (node:http, a similar
// JSON answer). Tells the parent its URL over IPC and stops when the parent says so.
import { createServer } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [kind, root, widgetKey, secret] = process.argv.slice(2);

async function startBare() {
  let seq = 0;
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const now = new Date().toISOString();
      const message = { id: `msg_${++seq}`, conversation_id: 'conv_1', role: 'assistant', text: `You said: ${body.message}`, created_at: now };
      res.writeHead(200, { 'Content-Type': 'application/json', 'Halo-Identity': 'verified' });
      res.end(JSON.stringify({ conversation_id: 'conv_1', message, identity: { verified: true, mode: 'enforce' } }));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((resolve) => server.close(resolve)) };
}

async function startHalo() {
  const { startHaloServer } = await import(pathToFileURL(join(root, 'dist/server/index.mjs')).href);
  const quiet = { info() {}, warn() {}, error: (...args) => console.error(...args) };
  return startHaloServer({ projects: [{ widgetKey, identitySecrets: [secret], mode: 'enforce' }], logger: quiet, port: 0 });
}

const server = kind === 'halo' ? await startHalo() : await startBare();
process.send({ url: server.url });
process.on('message', async () => {
  await server.close();
  process.exit(0);
});
