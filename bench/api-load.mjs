// The API bench's load generator, one fresh process per run (pinned to its own CPU when the
// bench can), so every run starts from the same state: autocannon inside the long-lived bench
// process carried that process's heap and JIT history, and the figures drifted by 2× between
// runs. Gets { url, bodies, seconds, connections } over IPC, answers with autocannon's result.
import { randomUUID } from 'node:crypto';
import autocannon from 'autocannon';

process.once('message', async ({ url, bodies, seconds, connections }) => {
  let next = 0;
  const result = await autocannon({
    url: `${url}/api/sdk/chat`,
    method: 'POST',
    connections,
    duration: seconds,
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        // A fresh client_message_id per request: a repeat would be answered from the store.
        setupRequest: (request) => {
          const body = bodies[next++ % bodies.length];
          return { ...request, body: JSON.stringify({ ...body, client_message_id: randomUUID() }) };
        },
      },
    ],
  });
  process.send(
    {
      duration: result.duration,
      total: result.requests.total,
      p50: result.latency.p50,
      p99: result.latency.p99,
      errors: result.errors + result.timeouts,
      non2xx: result.non2xx,
    },
    () => process.exit(0),
  );
});
