import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The service's Prometheus registry: one per process, like prom-client's default one, so
 * any module records into it without being handed it. Served by `startHaloServer`'s
 * `metrics` listener (docs/operations.md lists the series). Its own registry rather than
 * prom-client's global one, so an app embedding the service keeps its own names apart.
 */
export const metricsRegistry = new Registry();

const registers = [metricsRegistry];

/**
 * The series other modules record into: `metrics.liveChannels.inc()`,
 * `metrics.modelCalls.inc({ outcome: 'ok' })`, … Label values must come from a small fixed
 * set (never a user id or a widget key from a request): each value is a series kept forever.
 */
export const metrics = {
  /** Judged requests by the project's mode and the `Halo-Identity` result (`verified` or the reason). */
  identityDecisions: new Counter({
    name: 'halo_identity_decisions_total',
    help: 'Identity decisions by verification mode and result (verified, or the reason it was not)',
    labelNames: ['mode', 'result'] as const,
    registers,
  }),
  /** Answered HTTP requests by route (a fixed set) and status class. */
  httpRequests: new Counter({
    name: 'halo_http_requests_total',
    help: 'HTTP requests answered, by route and status',
    labelNames: ['route', 'status'] as const,
    registers,
  }),
  /** Time from the request's arrival to the end of its answer. */
  httpDuration: new Histogram({
    name: 'halo_http_request_duration_seconds',
    help: 'HTTP request latency by route',
    labelNames: ['route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  }),
  /** 429 answers, by the budget spent: `address` (before the token is read) or `identity` (after). */
  rateLimitRefusals: new Counter({
    name: 'halo_rate_limit_refusals_total',
    help: 'Requests refused with 429, by the stage of the check that refused them',
    labelNames: ['stage'] as const,
    registers,
  }),
  /** Decision log lines held back by its rate limit. */
  logLinesSuppressed: new Counter({
    name: 'halo_log_lines_suppressed_total',
    help: 'Identity decision log lines held back by the log rate limit',
    registers,
  }),
  /** Open live channels (the channel module increments and decrements it). */
  liveChannels: new Gauge({ name: 'halo_live_channels', help: 'Open live channels', registers }),
  /** Writes per store batch. */
  storeBatchSize: new Histogram({
    name: 'halo_store_batch_size',
    help: 'Items written per store batch',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128],
    registers,
  }),
  /** Time one store batch took. */
  storeBatchDuration: new Histogram({
    name: 'halo_store_batch_duration_seconds',
    help: 'Store batch latency',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  }),
  /** Model (AI reply) calls by outcome: `ok`, `error`, `timeout`, `refused`. */
  modelCalls: new Counter({
    name: 'halo_model_calls_total',
    help: 'Model calls by outcome',
    labelNames: ['outcome'] as const,
    registers,
  }),
  /** Model call latency by outcome. */
  modelDuration: new Histogram({
    name: 'halo_model_call_duration_seconds',
    help: 'Model call latency',
    labelNames: ['outcome'] as const,
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
    registers,
  }),
};

let defaultsCollected = false;

/** Adds the process series (memory, CPU, event loop lag) once, when metrics are served. */
export function collectProcessMetrics(): void {
  if (defaultsCollected) return;
  defaultsCollected = true;
  collectDefaultMetrics({ register: metricsRegistry, prefix: 'halo_' });
}

/** The route label of a path: a fixed set, so a client cannot create series. */
export function routeOf(path: string): string {
  if (path.startsWith('/api/sdk/')) {
    const call = path.slice('/api/sdk/'.length);
    return call === 'identify' || call === 'chat' || call === 'history' ? `sdk_${call}` : 'sdk_other';
  }
  if (path === '/admin' || path.startsWith('/admin/') || path.startsWith('/api/admin/')) return 'admin';
  if (path === '/healthz' || path === '/readyz') return path.slice(1);
  if (path === '/halo.js' || path === '/snippet.js') return 'script';
  return 'other';
}
