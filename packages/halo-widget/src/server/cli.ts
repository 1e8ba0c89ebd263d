// The `halo-widget` command: a project's keys and a signed user token, for a customer's
// backend and for trying things out. The service's commands live in `halo-widget-server`.
import { parseArgs } from 'node:util';
import { generateProjectKeys } from './generate-project-keys.js';
import { signUserToken } from './sign-user-token.js';

const HELP: Record<string, string> = {
  main: `halo-widget — identity tools for your backend

Usage:
  halo-widget keys                                   print a new widget key and identity secret
  halo-widget sign --user-id ID [--claim k=v …] [--expires-in 1h]
                                                     sign a user token (secret from HALO_IDENTITY_SECRET)

The reference Halo API (serve, report, secret, mode, settings, audit, agents) is the
halo-widget-server package: npx halo-widget-server --help

Run \`halo-widget <command> --help\` for details.
`,
  keys: `halo-widget keys

Prints a new project's keys as JSON: { "widgetKey": "ab_live_…", "identitySecret": "ha_secret_…" }.
The widget key is publishable; keep the identity secret on your backend only.
`,
  sign: `halo-widget sign --user-id ID [--claim key=value …] [--expires-in 1h]

Prints a user token (HS256 JWT) for ID. The identity secret is read from the
HALO_IDENTITY_SECRET environment variable — never from the command line, where other
users of the machine can see it.

  --user-id ID        the app's id for the user (required)
  --claim key=value   a trusted trait, e.g. --claim name=Alice --claim plan=pro (repeatable)
  --expires-in SPAN   lifetime: seconds or a span such as 15m, 1h, 24h (default 24h);
                      --expires-in=-60 signs a token that expired a minute ago (for tests)
`,
};

/** The commands that moved to the service package: one line says what to run instead. */
const SERVICE_COMMANDS = ['serve', 'report', 'secret', 'mode', 'settings', 'audit', 'agents'];

/** Where the CLI writes and reads its environment; injectable for tests. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  env: Record<string, string | undefined>;
}

const processIO: CliIO = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
};

class UsageError extends Error {}

// Claims the CLI sets itself; a string from --claim would make the token invalid or ambiguous.
const RESERVED_CLAIMS = new Map([
  ['user_id', 'use --user-id'],
  ['exp', 'use --expires-in'],
  ['iat', 'it is set to now'],
  ['nbf', 'not-before must be a number; sign in code for that'],
]);

/**
 * Runs the `halo-widget` CLI (`keys`, `sign`) with `argv` (without node and the script);
 * resolves with the exit code.
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
  if (SERVICE_COMMANDS.includes(command)) {
    io.err(
      `"halo-widget ${command}" is now part of the service package: run \`npx halo-widget-server ${argv.join(' ')}\` (npm install halo-widget-server).\n`,
    );
    return 2;
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
    if (command === 'keys') {
      io.out(`${JSON.stringify(generateProjectKeys(), null, 2)}\n`);
      return 0;
    }
    return await sign(rest, io);
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`${(error as Error).message}\n\n${HELP[command]}`);
    } else {
      io.err(`halo-widget ${command}: ${(error as Error).message}\n`);
    }
    return 1;
  }
}

async function sign(args: string[], io: CliIO): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { 'user-id': { type: 'string' }, claim: { type: 'string', multiple: true }, 'expires-in': { type: 'string' } },
    strict: true,
  });
  const userId = values['user-id'];
  if (!userId) throw new UsageError('--user-id is required.');
  const secret = io.env.HALO_IDENTITY_SECRET;
  if (!secret) throw new UsageError('Set HALO_IDENTITY_SECRET to the identity secret (ha_secret_…); it is never read from arguments.');
  const claims: Record<string, unknown> = {};
  for (const pair of values.claim ?? []) {
    const at = pair.indexOf('=');
    if (at < 1) throw new UsageError(`--claim expects key=value, got "${pair}".`);
    const name = pair.slice(0, at);
    if (RESERVED_CLAIMS.has(name)) throw new UsageError(`--claim ${name}=… is not allowed: ${RESERVED_CLAIMS.get(name)}.`);
    claims[name] = pair.slice(at + 1);
  }
  const span = values['expires-in'];
  // Negative seconds sign an already-expired token (for testing refusals): --expires-in=-60.
  const expiresIn = span && /^-?\d+$/.test(span) ? Number(span) : span;
  io.out(`${await signUserToken({ ...claims, user_id: userId }, secret, { expiresIn })}\n`);
  return 0;
}
