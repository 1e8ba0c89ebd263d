import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ApiError } from '../http/http.js';
import { openConfiguredStore } from '../store/open-configured-store.js';
import type { AgentStore } from './agent-store.js';
import { checkNewAgent, createAgent, issueApiToken } from './agent-accounts.js';
import { createSqlAgentStore, type AgentSqlClient } from './sql-agent-store.js';

/** Where the `agents` command writes, reads its environment, and reads the password (stdin). */
export interface AgentsCliIO {
  out(text: string): void;
  err(text: string): void;
  env: Record<string, string | undefined>;
  /** All of stdin, as text. @default process.stdin */
  readStdin?: () => Promise<string>;
}

/** A wrong command line: the CLI prints the message and the help. */
export class AgentsUsageError extends Error {}

export const AGENTS_HELP = `halo-widget-server agents add --email E --name N --role admin|agent [--projects KEY,…] [store options]
halo-widget-server agents token --email E [store options]
halo-widget-server agents list [store options]

  add     creates an account for the inbox (/inbox; role admin also gets /admin). The
          password is read from stdin (never an argument): printf '%s' "$PW" | … agents add …
          --projects limits it to those widget keys (default: every project)
  token   prints a new personal API token (hat_…) ONCE, for Authorization: Bearer
  list    the accounts: email, name, role, projects

Store options, as for serve (works while no server runs):
  --config FILE   reads "database" from the config file
  --data DIR      the embedded database's folder (default ./halo-data)
  DATABASE_URL    PostgreSQL (wins over the config's "database")
`;

async function readAll(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 4096) throw new AgentsUsageError('stdin is longer than a password can be.');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Runs `agents add|token|list` on the server's database directly (no server needed).
 * `databaseUrlOf` is the CLI's own reading of `DATABASE_URL` and the config's `database`.
 */
export async function runAgentsCommand(
  args: string[],
  io: AgentsCliIO,
  databaseUrlOf: (database: unknown, file: string) => string | undefined,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      email: { type: 'string' },
      name: { type: 'string' },
      role: { type: 'string' },
      projects: { type: 'string' },
      config: { type: 'string' },
      data: { type: 'string' },
    },
    strict: true,
    allowPositionals: true,
  });
  const verb = positionals[0];
  if (!['add', 'token', 'list'].includes(verb ?? '')) throw new AgentsUsageError('Use agents add, agents token or agents list.');
  if (verb !== 'list' && !values.email) throw new AgentsUsageError(`agents ${verb} needs --email.`);
  // The input is checked before the database is opened (the embedded one takes seconds).
  let password = '';
  if (verb === 'add') {
    // One trailing newline (echo, a heredoc) is not part of the password.
    password = (await (io.readStdin ?? readAll)()).replace(/\r?\n$/, '');
    if (!password)
      throw new AgentsUsageError('Give the password on stdin, e.g. printf \'%s\' "$PASSWORD" | halo-widget-server agents add …');
  }
  const input =
    verb === 'add'
      ? checked(() =>
          checkNewAgent({
            email: values.email,
            name: values.name,
            role: values.role,
            projects: values.projects?.split(',').map((k) => k.trim()),
            password,
          }),
        )
      : null;
  let database: unknown;
  if (values.config) {
    try {
      database = (JSON.parse(readFileSync(values.config, 'utf8')) as { database?: unknown } | null)?.database;
    } catch (cause) {
      throw new Error(`cannot read ${values.config}: ${(cause as Error).message}`, { cause });
    }
  }
  const databaseUrl = databaseUrlOf(database, values.config ?? 'the config');
  if (databaseUrl && values.data)
    throw new AgentsUsageError('--data is the embedded database’s folder, but a PostgreSQL database is configured.');
  let opened: Awaited<ReturnType<typeof openConfiguredStore>>;
  try {
    opened = await openConfiguredStore({ databaseUrl, dataDir: values.data }, (line) => io.err(`${line}\n`));
  } catch (error) {
    if (/is in use by process \d+/.test((error as Error).message))
      throw new Error(
        `the embedded database in ${values.data ?? 'halo-data'} is held by a running server (${(error as Error).message.match(/process \d+/)![0]}). ` +
          'Stop it and run this again, or have an admin add the account in /inbox.',
        { cause: error },
      );
    throw error;
  }
  try {
    const store = createSqlAgentStore((opened.store as unknown as { client: AgentSqlClient }).client);
    return await run(verb!, store, values.email?.trim().toLowerCase() ?? '', input, io);
  } finally {
    await opened.close();
  }
}

function checked<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof ApiError) throw new AgentsUsageError(error.message.replace(/`(\w+)`/, '--$1'));
    throw error;
  }
}

async function run(verb: string, store: AgentStore, email: string, input: ReturnType<typeof checkNewAgent> | null, io: AgentsCliIO) {
  if (verb === 'add') {
    const agent = await createAgent(store, input!).catch((error: unknown) => {
      if (error instanceof ApiError) throw new Error(error.message, { cause: error });
      throw error;
    });
    io.out(
      `Added ${agent.role} ${agent.email} (${agent.name}), ${agent.projects ? `projects ${agent.projects.join(', ')}` : 'every project'}.\n`,
    );
    return 0;
  }
  if (verb === 'token') {
    const agent = await store.findAgentByEmail(email);
    if (!agent) throw new Error(`no account with the email ${email}.`);
    io.out(`${await issueApiToken(store, agent.id)}\n`);
    io.err(`A personal API token for ${email} (shown once, above): send it as Authorization: Bearer <token>.\n`);
    return 0;
  }
  for (const a of await store.listAgents())
    io.out(`${a.email}  ${a.name}  ${a.role}  ${a.projects ? a.projects.join(',') : 'all projects'}\n`);
  return 0;
}
