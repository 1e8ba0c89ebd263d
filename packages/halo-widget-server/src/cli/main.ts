import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ADMIN_COMMANDS, ADMIN_HELP, AdminUsageError, runAdminCommand } from '../admin/admin-cli.js';
import { AGENTS_HELP, AgentsUsageError, runAgentsCommand } from '../agents/agents-cli.js';
import type { HaloApiConfig } from '../types.js';
import { checkConfig } from '../config.js';
import { startHaloServer } from '../http/start-halo-server.js';
import { openConfiguredStore } from '../store/open-configured-store.js';
import { PURGE_HELP, purgeCommand } from '../store/purge-command.js';
import { createJsonLogger } from '../ops/json-logger.js';

const HELP: Record<string, string> = {
  main: `halo-widget-server — the reference Halo API

Usage:
  halo-widget-server serve --config halo.config.json [--port N] [--host H] [--data DIR | --memory]
                                                     start the API (admin page with HALO_ADMIN_TOKEN)
  halo-widget-server report [--url URL] [--widget-key KEY]  the rollout report: is enforce safe?
  halo-widget-server secret rotate|list|retire       identity secrets, through the admin API
  halo-widget-server mode set off|monitor|enforce    the verification mode, through the admin API
  halo-widget-server settings | audit                allowed origins, token lifetime; the audit log
  halo-widget-server purge [--older-than 30d] [--dry-run]  delete old anonymous conversations
  halo-widget-server agents add|token|list           support team accounts for /inbox (and /admin)

Keys and tokens for your backend: npx halo-widget keys | sign.
Run \`halo-widget-server <command> --help\` for details.
`,
  serve: `halo-widget-server serve --config halo.config.json [--port N] [--host H] [--data DIR | --memory]

Starts the reference Halo API (and /halo.js, /snippet.js). The config file is JSON:
  { "projects": [ { "widgetKey": "ab_live_…", "identitySecrets": ["$HALO_IDENTITY_SECRET"],
                    "mode": "enforce", "allowedOrigins": ["https://app.example.com"] } ],
    "rateLimit": { "burst": 30, "perSecond": 2 }, "trustProxy": false, "database": "$DATABASE_URL" }
rateLimit (on by default; false turns it off), trustProxy, traitLimits and the connection
limits (headersTimeoutMs, requestTimeoutMs, maxConnections, maxConnectionsPerAddress) are
optional; a project may set maxTokenLifetime (e.g. "24h").
A secret written as "$NAME" is read from the environment variable NAME, so the file
need not hold it. mode: off | monitor | enforce (default monitor once there is a secret).
With HALO_ADMIN_TOKEN set (16+ characters), the server also serves the security settings
page at /admin and its API at /api/admin/…; the file's projects are its starting point.

Where conversations are kept:
  DATABASE_URL=postgres://…   PostgreSQL (also "database" in the config; the variable wins)
  otherwise                   the embedded database (PGlite) in ./halo-data
  --data DIR                  the embedded database's folder (default ./halo-data)
  --memory                    in memory only: bounded, lost on exit (tests, throwaway runs)

  --port N   port to listen on (default 8787)
  --host H   address to bind (default 127.0.0.1)
  --metrics-port N        serve Prometheus /metrics on this port (same host), off by default
  --shutdown-timeout S    on SIGTERM, wait at most S seconds for calls in flight (default 10)

Logs: one JSON object a line on stdout (pino); --log-format pretty (or HALO_LOG_FORMAT=pretty)
prints readable lines instead, for development.
`,
  ...ADMIN_HELP,
  purge: PURGE_HELP,
  agents: AGENTS_HELP,
};

/** Where the CLI writes and reads its environment; injectable for tests. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  env: Record<string, string | undefined>;
  /** All of stdin (the `agents add` password). @default process.stdin */
  readStdin?: () => Promise<string>;
}

const processIO: CliIO = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
};

class UsageError extends Error {}

/**
 * Runs the `halo-widget` CLI (`keys`, `sign`, `serve`) with `argv` (without node and the
 * script); resolves with the exit code. `serve` resolves only after SIGINT or SIGTERM.
 */
export async function main(argv: string[], io: CliIO = processIO): Promise<number> {
  const [command, ...rest] = argv;
  if (!command) {
    io.err(HELP.main!);
    return 1;
  }
  if (command === '--help' || command === '-h' || command === 'help') {
    io.out(HELP.main!);
    return 0;
  }
  if (!HELP[command] || command === 'main') {
    io.err(`Unknown command "${command}".\n\n${HELP.main}`);
    return 1;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(HELP[command]!);
    return 0;
  }
  try {
    if (ADMIN_COMMANDS.includes(command)) return await runAdminCommand(command, rest, io);
    if (command === 'purge') return await purgeCommand(rest, io, (database, file) => databaseUrlOf(database, file, io));
    if (command === 'agents') return await runAgentsCommand(rest, io, (database, file) => databaseUrlOf(database, file, io));
    return await serve(rest, io);
  } catch (error) {
    if (
      error instanceof UsageError ||
      error instanceof AdminUsageError ||
      error instanceof RangeError ||
      error instanceof AgentsUsageError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      io.err(`${(error as Error).message}\n\n${HELP[command]}`);
    } else {
      io.err(`halo-widget-server ${command}: ${(error as Error).message}\n`);
    }
    return 1;
  }
}

async function serve(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      data: { type: 'string' },
      memory: { type: 'boolean' },
      'log-format': { type: 'string' },
      'metrics-port': { type: 'string' },
      'shutdown-timeout': { type: 'string' },
    },
    strict: true,
  });
  if (!values.config) throw new UsageError('--config is required.');
  const logFormat = values['log-format'] ?? io.env.HALO_LOG_FORMAT ?? 'json';
  if (logFormat !== 'json' && logFormat !== 'pretty') throw new UsageError(`--log-format must be json or pretty, got "${logFormat}".`);
  // JSON lines for a log pipeline by default; `pretty` is the console's readable lines, for development.
  const logger = logFormat === 'json' ? createJsonLogger() : console;
  const metricsPort = values['metrics-port'] === undefined ? undefined : Number(values['metrics-port']);
  if (metricsPort !== undefined && (!Number.isInteger(metricsPort) || metricsPort < 0 || metricsPort > 65535))
    throw new UsageError(`--metrics-port must be 0–65535, got "${values['metrics-port']}".`);
  const graceSeconds = values['shutdown-timeout'] === undefined ? 10 : Number(values['shutdown-timeout']);
  if (!Number.isFinite(graceSeconds) || graceSeconds < 0 || graceSeconds > 3600)
    throw new UsageError(`--shutdown-timeout must be 0–3600 seconds, got "${values['shutdown-timeout']}".`);
  let config: HaloApiConfig & { database?: unknown };
  try {
    config = JSON.parse(readFileSync(values.config, 'utf8')) as HaloApiConfig;
  } catch (cause) {
    throw new Error(`cannot read ${values.config}: ${(cause as Error).message}`, { cause });
  }
  if (!config || !Array.isArray(config.projects)) throw new Error(`${values.config}: "projects" must be an array.`);
  // "$NAME" reads a secret from the environment, so the config file need not hold it.
  for (const project of config.projects) {
    if (!Array.isArray(project?.identitySecrets)) continue;
    project.identitySecrets = project.identitySecrets.map((secret) => {
      if (typeof secret !== 'string' || !/^\$[A-Za-z_][A-Za-z0-9_]*$/.test(secret)) return secret;
      const value = io.env[secret.slice(1)];
      if (!value) throw new Error(`${values.config}: ${secret} is not set in the environment.`);
      return value;
    });
  }
  const port = values.port === undefined ? 8787 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be 0–65535, got "${values.port}".`);
  // A bad config fails before a database is opened (the embedded one takes seconds); its
  // warnings are printed once, by the server below.
  checkConfig(config, { info: () => undefined, warn: () => undefined, error: () => undefined });
  const databaseUrl = databaseUrlOf(config.database, values.config, io);
  if (values.memory && values.data) throw new UsageError('--data and --memory exclude each other.');
  if (databaseUrl && values.data && !values.memory)
    throw new UsageError('--data is the embedded database’s folder, but a PostgreSQL database is configured.');
  // `database` and `retention` are the CLI's (purge reads the latter), not the API's.
  const { database: _database, retention: _retention, ...apiConfig } = config as typeof config & { retention?: unknown };
  const opened = await openConfiguredStore({ databaseUrl, dataDir: values.data, memory: values.memory }, (line) => io.err(`${line}\n`));
  const adminToken = io.env.HALO_ADMIN_TOKEN;
  let server: Awaited<ReturnType<typeof startHaloServer>>;
  try {
    server = await startHaloServer({
      ...apiConfig,
      logger,
      store: opened.store,
      port,
      host: values.host ?? '127.0.0.1',
      admin: { token: adminToken || undefined },
      agents: {},
      // On the API's host: a public --host exposes it too, so operators bind it with care (docs/operations.md).
      metrics: metricsPort === undefined ? undefined : { port: metricsPort, host: values.host ?? '127.0.0.1' },
    });
  } catch (error) {
    await opened.close();
    throw error;
  }
  io.out(`Halo API listening on ${server.url} (${config.projects.length} project(s); store: ${opened.description})\n`);
  if (adminToken) io.out(`Security settings: ${server.url}/admin (operator token from HALO_ADMIN_TOKEN)\n`);
  if (server.metricsUrl) io.out(`Metrics: ${server.metricsUrl}/metrics\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      io.err(`halo-widget-server serve: ${signal}: finishing calls in flight (at most ${graceSeconds} s), then exiting\n`);
      // The bound on the whole exit, store included: a hung database must not keep the process.
      setTimeout(
        () => {
          io.err(`halo-widget-server serve: still not closed ${graceSeconds + 5} s after ${signal}; exiting\n`);
          process.exit(1);
        },
        (graceSeconds + 5) * 1000,
      ).unref();
      void server
        .shutdown({ graceMs: graceSeconds * 1000 })
        .then(() => opened.close())
        .then(resolve, (error: unknown) => {
          io.err(`halo-widget-server serve: ${(error as Error).message}\n`);
          resolve();
        });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  return 0;
}

/** The PostgreSQL URL: `DATABASE_URL`, else the config's `database` ("$NAME" reads variable NAME). */
function databaseUrlOf(database: unknown, file: string, io: CliIO): string | undefined {
  if (io.env.DATABASE_URL) return io.env.DATABASE_URL;
  if (database === undefined || database === null || database === '') return undefined;
  if (typeof database !== 'string') throw new Error(`${file}: "database" must be a postgres:// connection string.`);
  if (/^\$[A-Za-z_][A-Za-z0-9_]*$/.test(database)) {
    const value = io.env[database.slice(1)];
    if (!value) throw new Error(`${file}: ${database} is not set in the environment.`);
    return value;
  }
  // Never echo the value: it may hold a password.
  if (!/^postgres(ql)?:\/\//.test(database)) throw new Error(`${file}: "database" must be a postgres:// connection string.`);
  return database;
}
