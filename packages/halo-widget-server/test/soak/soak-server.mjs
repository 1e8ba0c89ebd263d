// A Halo API in its own process for the soak test, run with --expose-gc. Besides the API
// it answers GET /__memory with the heap after a full GC (test-only: not in the product).
import { createServer } from 'node:http';
import { createHaloApi } from '../../dist/index.mjs';

const config = JSON.parse(process.argv[2]);
const api = createHaloApi({ ...config, logger: { info() {}, warn() {}, error: console.error } });
const server = createServer((req, res) => {
  if (req.url === '/__memory') {
    globalThis.gc();
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(process.memoryUsage()));
    return;
  }
  api(req, res);
});
server.listen(0, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
