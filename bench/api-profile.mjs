// A CPU profile of one API server under the API bench's load: `node bench/api-profile.mjs halo`
// (or `bare`) writes a .cpuprofile to /tmp/halo-api-profile and prints the server's CPU time per
// request — what BENCHMARKS.md's "Full run after the support side" compares. Build first.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { load, SECRET, WIDGET_KEY } from './api.mjs';
import { ROOT } from '../test/helpers/sizes.mjs';
const kind = process.argv[2];
const { signUserToken } = await import('../packages/halo-widget-server/dist/index.mjs');
const bodies = [];
for (let i = 0; i < 200; i++)
  bodies.push({
    widget_key: WIDGET_KEY,
    user_id: `user_${i}`,
    user_token: await signUserToken({ user_id: `user_${i}`, name: `User ${i}` }, SECRET, { expiresIn: '1h' }),
    message: 'Where is my invoice?',
  });
const server = fork(fileURLToPath(new URL('./api-server.mjs', import.meta.url)), [kind, ROOT, WIDGET_KEY, SECRET], {
  execArgv: ['--cpu-prof', '--cpu-prof-dir=/tmp/halo-api-profile'],
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const { url } = await new Promise((r) => server.once('message', r));
await load(url, bodies, { seconds: 2, connections: 10 });
const cpu0 = await new Promise((r) => {
  server.once('message', (m) => r(m.cpu));
  server.send('cpu');
});
const r = await load(url, bodies, { seconds: 6, connections: 10 });
const cpu1 = await new Promise((r) => {
  server.once('message', (m) => r(m.cpu));
  server.send('cpu');
});
console.log(kind, 'req/s', (r.total / r.duration).toFixed(0), 'server CPU µs per request', ((cpu1 - cpu0) / r.total).toFixed(1));
server.send('stop');
await new Promise((r) => server.once('exit', r));
