// The live demo (`npm run demo`): one process on 127.0.0.1 serving the reference Halo API
// and a small "customer app" that embeds the widget with the three-tag snippet.
// Plain Node: it imports the built service (packages/halo-widget-server/dist) and serves the
// browser package's script-tag files (packages/halo-widget/dist), building both if missing.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEMO = path.join(ROOT, 'demo');
const DIST = path.join(ROOT, 'packages/halo-widget/dist');
const SERVICE = path.join(ROOT, 'packages/halo-widget-server/dist');

/** The customer app's users. Traits a real backend would put in the token it signs. */
export const USERS = {
  alice: { name: 'Alice Martin', email: 'alice@acme.test', plan: 'pro' },
  bob: { name: 'Bob Stone', email: 'bob@acme.test', plan: 'free' },
};

const MODES = ['off', 'monitor', 'enforce'];

const STATIC = {
  '/app.js': ['app.js', 'text/javascript; charset=utf-8'],
  '/app.css': ['app.css', 'text/css; charset=utf-8'],
};

function ensureBuilt() {
  if (existsSync(path.join(DIST, 'halo.js')) && existsSync(path.join(SERVICE, 'index.mjs'))) return;
  console.log('[demo] the packages are not built: running `npm run build` first…');
  const result = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.status !== 0) throw new Error('npm run build failed');
}

/**
 * The demo project's keys. The widget key is kept in the data folder (it is public), so the
 * conversations stored under it are found again after a restart; the identity secret is new
 * on every start and never written anywhere — tokens of the previous run are refused and the
 * SDK fetches new ones.
 */
function demoKeys(server, dataDir) {
  const fresh = server.generateProjectKeys();
  if (!dataDir) return fresh;
  const file = path.join(dataDir, 'demo-widget-key');
  if (existsSync(file)) return { ...fresh, widgetKey: readFileSync(file, 'utf8').trim() };
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, fresh.widgetKey);
  return fresh;
}

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', ...headers });
  res.end(body);
}

function json(res, status, value) {
  send(res, status, JSON.stringify(value), { 'Content-Type': 'application/json' });
}

async function readJson(req) {
  let raw = '';
  for await (const chunk of req) {
    raw += chunk;
    if (raw.length > 10_000) throw new Error('body too large');
  }
  return raw ? JSON.parse(raw) : {};
}

/**
 * Why a control request is not a same-origin JSON request, or null when it is: a
 * `Content-Type` other than JSON → 415; a `Host` other than the listen address (DNS
 * rebinding), an `Origin` other than this server's, or a
 * `Sec-Fetch-Site` other than `same-origin` (or `none`, typed by hand) → 403.
 */
export function sameOriginJsonRefusal(req) {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') return { status: 415, error: 'send Content-Type: application/json' };
  // DNS rebinding: the Host must be the address the connection reached (the listen address),
  // or a localhost alias of it; the own origin is never derived from Host alone.
  const port = req.socket.localPort;
  const local = (req.socket.localAddress ?? '').replace(/^::ffff:(?=\d)/, '');
  const hosts = new Set([`${local.includes(':') ? `[${local}]` : local}:${port}`]);
  if (local.startsWith('127.') || local === '::1') for (const name of ['localhost', '127.0.0.1', '[::1]']) hosts.add(`${name}:${port}`);
  const host = (req.headers.host ?? '').toLowerCase();
  if (!hosts.has(host)) return { status: 403, error: 'request for another host refused' };
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${host}`) return { status: 403, error: 'cross-origin request refused' };
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return { status: 403, error: 'cross-site request refused' };
  return null;
}

/** The strict CSP of docs/protocol.md, with the API on the page's own origin. */
export function strictCsp(nonce) {
  return (
    `default-src 'none'; script-src 'nonce-${nonce}' 'self'; connect-src 'self'; style-src 'self'; ` +
    `img-src 'self' data:; object-src 'none'; base-uri 'none'`
  );
}

/**
 * Starts the demo. Options exist for the browser tests (a port of 0, a token lifetime of
 * a few seconds); `npm run demo` uses the defaults.
 * @returns the URL, the project (its `mode` can be read) and `close()`.
 */
export async function startDemo({
  port = 3000,
  host = '127.0.0.1',
  tokenTtlSeconds = 120,
  pollSeconds = 30,
  initialMode = 'monitor',
  logger = console,
  dataDir = path.join(DEMO, 'halo-data'),
  memory = false,
  adminToken = process.env.HALO_ADMIN_TOKEN || randomBytes(24).toString('base64url'),
} = {}) {
  ensureBuilt();
  const server = await import(pathToFileURL(path.join(SERVICE, 'index.mjs')).href);
  // The conversations live in the embedded database (demo/halo-data, git-ignored), so a
  // restart keeps them; `memory` is for tests that want a clean slate.
  const store = memory ? server.createMemoryStore() : await server.createEmbeddedStore({ dataDir });
  const { widgetKey, identitySecret } = demoKeys(server, memory ? null : dataDir);
  // The project lives in the admin surface's store: the demo's buttons and the /admin page
  // change the same settings, and the API reads them live. That store is in memory, so every
  // start begins in `initialMode` with a fresh secret, as before.
  const admin = await server.createAdminSurface(
    { token: adminToken, flushMs: 2000 },
    [{ widgetKey, identitySecrets: [identitySecret], mode: initialMode }],
    logger,
  );
  const live = () => admin.projects.find((p) => p.widgetKey === widgetKey);
  // What the tests read of the project: the live settings.
  const project = {
    get mode() {
      return live().mode ?? 'monitor';
    },
    get identitySecrets() {
      return [...live().identitySecrets];
    },
  };
  const api = server.createHaloApi({ projects: admin.projects, logger, store, onIdentityResult: admin.onIdentityResult });
  const sessions = new Map();
  const page = readFileSync(path.join(DEMO, 'index.html'), 'utf8');

  // The app backend signs with the newest active secret (as if redeployed with it at once).
  const sign = (userId) =>
    server.signUserToken({ user_id: userId, ...USERS[userId] }, live().identitySecrets.at(-1), { expiresIn: tokenTtlSeconds });

  async function demoRoute(req, res, url) {
    if (req.method !== 'POST') return send(res, 405, 'POST only');
    // The control endpoints change the whole server (its mode, its secret): only this page
    // may call them. A cross-site form or `text/plain` fetch needs no preflight, so JSON is
    // required (a cross-site JSON POST needs a preflight this server never grants), and an
    // Origin or Sec-Fetch-Site that names another site is refused outright.
    const refusal = sameOriginJsonRefusal(req);
    if (refusal) return json(res, refusal.status, { error: refusal.error });
    const body = await readJson(req);
    switch (url.pathname) {
      case '/demo/login': {
        // A fake login: a real app checks a password; the session id stays in page memory.
        if (!Object.hasOwn(USERS, body.user)) return json(res, 400, { error: 'unknown user' });
        const session = randomBytes(18).toString('base64url');
        sessions.set(session, body.user);
        return json(res, 200, { session, userId: body.user, traits: USERS[body.user] });
      }
      case '/demo/token': {
        // The app backend's token endpoint: it signs only for the user of the session.
        const userId = sessions.get(req.headers['x-demo-session']);
        if (!userId) return json(res, 401, { error: 'not signed in' });
        return json(res, 200, { token: await sign(userId), expiresIn: tokenTtlSeconds });
      }
      case '/demo/end-session':
        sessions.delete(req.headers['x-demo-session']);
        return json(res, 200, {});
      case '/demo/mode':
        if (!MODES.includes(body.mode)) return json(res, 400, { error: 'unknown mode' });
        await admin.operations.updateSettings(widgetKey, { mode: body.mode }, 'demo page');
        await admin.refresh();
        logger.info(`[demo] verification mode → ${body.mode}`);
        return json(res, 200, { mode: project.mode });
      case '/demo/rotate': {
        // The old secret is dropped at once, so every token in flight fails: the SDK's 403 path.
        const { record, project: after } = await admin.operations.generateSecret(widgetKey, 'demo page');
        for (const old of after.secrets)
          if (old.id !== record.id && !old.retiredAt) await admin.operations.retireSecret(widgetKey, old.id, 'demo page');
        await admin.refresh();
        logger.info('[demo] identity secret rotated');
        return json(res, 200, {});
      }
      default:
        return send(res, 404, 'Not found');
    }
  }

  const http = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://demo.invalid');
    const fail = (error) => {
      logger.error('[demo]', error);
      if (!res.headersSent) send(res, 500, 'Internal error');
      else res.end();
    };
    try {
      if (admin.handle(req, res)) return;
      if (url.pathname.startsWith('/api/')) return api(req, res);
      if (url.pathname.startsWith('/demo/')) return void demoRoute(req, res, url).catch(fail);
      if (url.pathname === '/' || url.pathname === '/index.html') {
        const nonce = randomBytes(16).toString('base64');
        const html = page
          .replaceAll('{{nonce}}', nonce)
          .replace('{{snippet}}', readFileSync(path.join(DIST, 'snippet.js'), 'utf8').trim())
          .replace('{{widgetKey}}', widgetKey)
          .replace('{{mode}}', project.mode)
          .replace('{{pollSeconds}}', String(pollSeconds))
          .replace('{{tokenTtl}}', String(tokenTtlSeconds));
        return send(res, 200, html, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Security-Policy': strictCsp(nonce) });
      }
      if (url.pathname === '/halo.js' || url.pathname === '/snippet.js') {
        return send(res, 200, readFileSync(path.join(DIST, url.pathname.slice(1))), { 'Content-Type': 'text/javascript; charset=utf-8' });
      }
      const file = STATIC[url.pathname];
      if (file) return send(res, 200, readFileSync(path.join(DEMO, file[0])), { 'Content-Type': file[1] });
      if (url.pathname === '/favicon.ico') return send(res, 204, '');
      send(res, 404, 'Not found');
    } catch (error) {
      fail(error);
    }
  });

  await new Promise((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, resolve);
  });
  const address = http.address();
  const url = `http://${host}:${address.port}`;

  // Bob already asked something private: what an impersonator would read in `off` mode.
  // Once: a restart on the same data finds it there.
  const bobHistory = await fetch(`${url}/api/sdk/history`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ widget_key: widgetKey, user_id: 'bob', user_token: await sign('bob') }),
  }).then((r) => r.json());
  const seeded = bobHistory.messages?.length
    ? { ok: true }
    : await fetch(`${url}/api/sdk/chat`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          widget_key: widgetKey,
          user_id: 'bob',
          user_token: await sign('bob'),
          message: 'My card ending 4242 was charged twice for March. Can you refund one?',
        }),
      });
  if (!seeded.ok) logger.warn(`[demo] could not seed Bob's conversation: ${seeded.status}`);

  return {
    url,
    project,
    adminToken,
    close: async () => {
      await new Promise((resolve) => {
        http.closeAllConnections?.();
        http.close(() => resolve());
      });
      await admin.close();
      await store.close?.();
    },
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const port = Number(process.env.PORT ?? 3000);
  const demo = await startDemo({ port, tokenTtlSeconds: Number(process.env.DEMO_TOKEN_TTL ?? 120) });
  console.log(
    `\n  halo-widget demo: ${demo.url}\n\n  Open it, chat with the launcher at the bottom right, and watch the identity log.\n  Conversations are kept in demo/halo-data (delete it to start afresh).`,
  );
  // The operator token is this process's (generated unless HALO_ADMIN_TOKEN is set): printed for the demo only.
  console.log(`  Security settings and rollout report: ${demo.url}/admin\n  Operator token: ${demo.adminToken}\n  Ctrl+C to stop.\n`);
  const stop = () => demo.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
