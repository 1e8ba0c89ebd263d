import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import type { ProjectView } from './admin-operations.js';
import { IDENTITY_RESULTS, type AuditEntry } from './admin-store.js';
import type { IdentityReport, ReportWindow } from './identity-report.js';

/** Where an admin command writes and reads its environment (the CLI's `CliIO`). */
export interface AdminCliIO {
  out(text: string): void;
  err(text: string): void;
  env: Record<string, string | undefined>;
}

// Characters a terminal acts on instead of printing: C0 controls and DEL (ESC starts ANSI/OSC
// sequences that clear the screen, set the title or write the clipboard), C1 controls (U+009B
// is a one-character CSI), bidi overrides and isolates (reorder what the operator reads), and
// lone surrogates. Newlines are matched too: inside a value they would forge a table row.
/* eslint-disable no-control-regex -- matching control characters is the point */
const CONTROL = new RegExp(
  '[\\u0000-\\u001f\\u007f-\\u009f\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069\\u2028\\u2029]|[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]',
  'g',
);
/* eslint-enable no-control-regex */

/** `text` with every character a terminal would act on shown as `\u{…}`: what attacker-chosen values look like in CLI output. */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, (char) => `\\u{${char.charCodeAt(0).toString(16).padStart(4, '0')}}`);
}

/** `text` escaped line by line: the CLI's own newlines stay, every other control character is shown escaped. */
const escapeLines = (text: string): string => text.split('\n').map(escapeControl).join('\n');

/**
 * `io` with everything written escaped ({@link escapeControl}), so no value from the server —
 * user ids, SDK versions, origins, audit actors, error messages, all attacker-reachable — can
 * drive the operator's terminal. Applied once to every admin command's output.
 */
function terminalSafe(io: AdminCliIO): AdminCliIO {
  return { ...io, out: (text) => io.out(escapeLines(text)), err: (text) => io.err(escapeLines(text)) };
}

/** `value` as indented JSON whose strings carry no character a terminal acts on (`\\uXXXX` escapes: still valid JSON). */
const jsonForTerminal = (value: unknown): string =>
  JSON.stringify(value, null, 2)
    .split('\n')
    .map((line) => line.replace(CONTROL, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`))
    .join('\n');

/** A wrong command line: the CLI prints the message and the command's help. */
export class AdminUsageError extends Error {}

const COMMON = `  --url URL           the reference server (default $HALO_URL or http://127.0.0.1:8787)
  --widget-key KEY    the project (not needed when the server has one project)
The operator token is read from HALO_ADMIN_TOKEN, never from the command line.`;

/** Help of the admin commands, merged into the CLI's. */
export const ADMIN_HELP: Record<string, string> = {
  report: `halo-widget-server report [--url URL] [--widget-key KEY] [--window 1h|24h|7d] [--json]

Prints the rollout report: requests by Halo-Identity result over the last hour, 24 hours
and 7 days, distinct users and example ids for --window (default 24h), the share of
identified requests enforce would refuse, SDK versions and the verdict.
${COMMON}
  --json              print the API's JSON instead of the table
`,
  secret: `halo-widget-server secret rotate|list|retire [--id sec_…] [--url URL] [--widget-key KEY]

  rotate   generates a new identity secret and prints it ONCE on stdout; the others keep
           verifying until retired, so deploy it to your backend, then retire the old one
  list     the secrets by id, last four characters and status (never their values)
  retire   --id sec_…: tokens signed with that secret are refused from now on
${COMMON}
`,
  mode: `halo-widget-server mode set off|monitor|enforce|default [--url URL] [--widget-key KEY]

Sets the verification mode (default: monitor once a secret exists, else off).
${COMMON}
`,
  settings: `halo-widget-server settings [--allowed-origins LIST|any] [--max-token-lifetime SPAN|none] [--url URL] [--widget-key KEY]

Without options, prints the project's settings. --allowed-origins takes a comma-separated
list (https://app.example.com,https://admin.example.com) or "any"; --max-token-lifetime a
span such as 15m or 24h, or "none".
${COMMON}
`,
  audit: `halo-widget-server audit [--limit N] [--url URL] [--widget-key KEY]

Prints the audit log of the project's security settings, newest first.
${COMMON}
`,
};

/** The names of the admin commands. */
export const ADMIN_COMMANDS = Object.keys(ADMIN_HELP);

interface Target {
  url: string;
  token: string;
  widgetKey: string;
}

async function request<T>(target: Pick<Target, 'url' | 'token'>, method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Authorization: `Bearer ${target.token}`, 'Halo-Operator': `cli ${userInfo().username}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(`${target.url}/api/admin/${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new Error(`cannot reach ${target.url}: ${(error as Error).message}`, { cause: error });
  }
  const data = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
  if (response.status === 401) throw new Error('the server refused HALO_ADMIN_TOKEN (401).');
  if (response.status === 404 && path === 'projects')
    throw new Error(`${target.url} has no admin API (is HALO_ADMIN_TOKEN set where the server runs?).`);
  // The message may quote what a client sent: escaped here too, since main() prints it raw.
  if (!response.ok) throw new Error(escapeControl(data?.error?.message ?? `HTTP ${response.status}`));
  return data as T;
}

async function targetOf(values: { url?: string; 'widget-key'?: string }, io: AdminCliIO): Promise<Target> {
  const token = io.env.HALO_ADMIN_TOKEN;
  if (!token) throw new AdminUsageError('Set HALO_ADMIN_TOKEN to the server’s operator token; it is never read from arguments.');
  const url = (values.url ?? io.env.HALO_URL ?? 'http://127.0.0.1:8787').replace(/\/+$/, '');
  let widgetKey = values['widget-key'];
  if (!widgetKey) {
    const { projects } = await request<{ projects: ProjectView[] }>({ url, token }, 'GET', 'projects');
    if (projects.length !== 1) throw new AdminUsageError(`--widget-key is required: the server has ${projects.length} projects.`);
    widgetKey = projects[0]!.widgetKey;
  }
  return { url, token, widgetKey };
}

const pad = (rows: string[][]) => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === 0 || i === row.length - 1 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
};

/** The report as a text table (the CLI's `report`). */
export function formatReport(report: IdentityReport, window: ReportWindow): string {
  const { windows } = report;
  const chosen = windows[window];
  const rows = [
    ['result', 'requests 1h', 'requests 24h', 'requests 7d', `users ${window}`, 'last seen (7d)', `example user ids (${window})`],
  ];
  for (const result of IDENTITY_RESULTS) {
    const line = chosen.results[result];
    if (result === 'verification_off' && windows['7d'].results[result].requests === 0) continue;
    rows.push([
      result,
      String(windows['1h'].results[result].requests),
      String(windows['24h'].results[result].requests),
      String(windows['7d'].results[result].requests),
      result === 'anonymous' ? '-' : `${line.usersCapped ? '>=' : ''}${line.users}`,
      windows['7d'].results[result].lastSeen?.slice(0, 16).replace('T', ' ') ?? '-',
      // One cell per value: a newline in a user id would otherwise start a forged row.
      line.examples.map(escapeControl).join(', '),
    ]);
  }
  const share = (name: ReportWindow) =>
    `${name} ${(windows[name].rejectShare * 100).toFixed(1)} % (${windows[name].wouldReject}/${windows[name].identifiedRequests})`;
  const versions =
    Object.entries(chosen.sdkVersions)
      .map(([v, n]) => `${v} ${n}`)
      .join(', ') || 'none';
  return [
    `Identity report for ${report.widgetKey} (mode ${report.mode}) at ${report.generatedAt}`,
    '',
    pad(rows),
    '',
    `Enforce would refuse: ${share('1h')} · ${share('24h')} · ${share('7d')}`,
    `SDK versions (${window}): ${versions}`,
    `Likely attacks (${window}): ${chosen.likelyAttacks.users ? `${chosen.likelyAttacks.users} user id(s) with forged-looking tokens, e.g. ${chosen.likelyAttacks.examples.join(', ')}` : 'none'}`,
    `Verdict (${window}): ${chosen.verdict.text}`,
    '',
  ].join('\n');
}

const OPTIONS = {
  url: { type: 'string' },
  'widget-key': { type: 'string' },
  window: { type: 'string' },
  json: { type: 'boolean' },
  id: { type: 'string' },
  limit: { type: 'string' },
  'allowed-origins': { type: 'string' },
  'max-token-lifetime': { type: 'string' },
} as const;

/** Runs one admin command (`report`, `secret`, `mode`, `settings`, `audit`) against a server's admin API. */
export async function runAdminCommand(command: string, args: string[], rawIo: AdminCliIO): Promise<number> {
  const io = terminalSafe(rawIo);
  const { values, positionals } = parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: true });
  const [verb, operand] = positionals;
  if (command === 'report') {
    const window = (values.window ?? '24h') as ReportWindow;
    if (!['1h', '24h', '7d'].includes(window)) throw new AdminUsageError('--window must be 1h, 24h or 7d.');
    const target = await targetOf(values, io);
    const report = await request<IdentityReport>(target, 'GET', `projects/${encodeURIComponent(target.widgetKey)}/identity-report`);
    io.out(values.json ? `${jsonForTerminal(report)}\n` : formatReport(report, window));
    return report.windows[window].verdict.safe ? 0 : 3;
  }
  const target = await targetOf(values, io);
  const project = `projects/${encodeURIComponent(target.widgetKey)}`;
  type One = { project: ProjectView };
  const show = (p: ProjectView) =>
    io.out(
      `${p.widgetKey}: mode ${p.effectiveMode}${p.mode ? '' : ' (default)'}, allowed origins ${p.allowedOrigins ? p.allowedOrigins.join(', ') : 'any'}, ` +
        `max token lifetime ${p.maxTokenLifetime ?? 'none'}\n` +
        p.secrets
          .map((s) => `  ${s.id}  …${s.hint || '----'}  ${s.createdAt}  ${s.retiredAt ? `retired ${s.retiredAt}` : 'active'}\n`)
          .join(''),
    );
  if (command === 'secret') {
    if (verb === 'rotate') {
      const answer = await request<{ secret: string; secretId: string }>(target, 'POST', `${project}/secrets`, {});
      io.out(`${answer.secret}\n`);
      io.err(
        `New secret ${answer.secretId} (shown once, above). The other active secrets keep verifying: deploy this one, then run\n  halo-widget-server secret retire --id <old id>\n`,
      );
      return 0;
    }
    if (verb === 'list') {
      show((await request<One>(target, 'GET', project)).project);
      return 0;
    }
    if (verb === 'retire') {
      if (!values.id) throw new AdminUsageError('secret retire needs --id sec_….');
      show((await request<One>(target, 'POST', `${project}/secrets/${encodeURIComponent(values.id)}/retire`, {})).project);
      return 0;
    }
    throw new AdminUsageError('Use secret rotate, secret list or secret retire --id sec_….');
  }
  if (command === 'mode') {
    if (verb !== 'set' || !operand || !['off', 'monitor', 'enforce', 'default'].includes(operand))
      throw new AdminUsageError('Use mode set off|monitor|enforce|default.');
    show((await request<One>(target, 'PATCH', `${project}/settings`, { mode: operand === 'default' ? null : operand })).project);
    return 0;
  }
  if (command === 'settings') {
    const patch: Record<string, unknown> = {};
    const origins = values['allowed-origins'];
    if (origins !== undefined)
      patch.allowedOrigins =
        origins === 'any'
          ? null
          : origins
              .split(',')
              .map((o) => o.trim())
              .filter(Boolean);
    const lifetime = values['max-token-lifetime'];
    if (lifetime !== undefined) patch.maxTokenLifetime = lifetime === 'none' ? null : lifetime;
    const answer = Object.keys(patch).length
      ? await request<One>(target, 'PATCH', `${project}/settings`, patch)
      : await request<One>(target, 'GET', project);
    show(answer.project);
    return 0;
  }
  const { audit } = await request<{ audit: AuditEntry[] }>(target, 'GET', `${project}/audit?limit=${Number(values.limit ?? 50) || 50}`);
  for (const entry of audit) io.out(`${entry.at}  ${entry.actor}  ${entry.action}  ${JSON.stringify(entry.detail)}\n`);
  return 0;
}
