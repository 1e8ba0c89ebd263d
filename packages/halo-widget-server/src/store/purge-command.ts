import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createEmbeddedStore } from './create-embedded-store.js';
import { createPostgresStore } from './create-postgres-store.js';
import { describeDatabase } from './open-configured-store.js';
import { DEFAULT_VISITOR_RETENTION_DAYS, purgeVisitorConversations } from './purge.js';

export const PURGE_HELP = `halo-widget-server purge [--config halo.config.json] [--data DIR] [--older-than 30d] [--dry-run]

Deletes anonymous (visitor) conversations whose last message is older than the retention age,
with their messages: --older-than (days, "30d" or "30"), else the config's
"retention": { "visitorConversationsDays": N }, else 90 days. A signed-in user's
conversations are never purged by age. The database is the one serve uses: DATABASE_URL or
the config's "database" (PostgreSQL), else the embedded one in --data (default ./halo-data;
stop serve first: one process per folder). --dry-run counts and deletes nothing.
Run it from cron (e.g. daily).
`;

/** Reads "30d" or "30" as a number of days. */
function daysOf(text: string): number {
  const match = /^(\d{1,5})d?$/.exec(text.trim());
  if (!match || Number(match[1]) < 1) throw new RangeError(`--older-than must be a number of days such as 30d, got "${text}".`);
  return Number(match[1]);
}

/** `halo-widget-server purge`: see {@link PURGE_HELP}. */
export async function purgeCommand(
  args: string[],
  io: { out(text: string): void; env: Record<string, string | undefined> },
  databaseUrlOf: (database: unknown, file: string) => string | undefined,
): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { config: { type: 'string' }, data: { type: 'string' }, 'older-than': { type: 'string' }, 'dry-run': { type: 'boolean' } },
    strict: true,
  });
  let config: { database?: unknown; retention?: { visitorConversationsDays?: unknown } } = {};
  if (values.config) {
    try {
      config = JSON.parse(readFileSync(values.config, 'utf8')) as typeof config;
    } catch (cause) {
      throw new Error(`cannot read ${values.config}: ${(cause as Error).message}`, { cause });
    }
  }
  const configured = config.retention?.visitorConversationsDays;
  if (configured !== undefined && (!Number.isInteger(configured) || (configured as number) < 1)) {
    throw new Error(`${values.config}: retention.visitorConversationsDays must be a whole number of days, at least 1.`);
  }
  const days = values['older-than'] ? daysOf(values['older-than']) : ((configured as number | undefined) ?? DEFAULT_VISITOR_RETENTION_DAYS);
  const url = io.env.DATABASE_URL || (values.config ? databaseUrlOf(config.database, values.config) : undefined);
  const store = url
    ? await createPostgresStore({ connectionString: url, max: 2 })
    : await createEmbeddedStore({ dataDir: values.data ?? 'halo-data' });
  try {
    const result = await purgeVisitorConversations(store.client, days, { dryRun: values['dry-run'] });
    const where = url ? `PostgreSQL at ${describeDatabase(url)}` : `the embedded database in ${values.data ?? 'halo-data'}`;
    io.out(
      `${values['dry-run'] ? 'Would purge' : 'Purged'} ${result.conversations} visitor conversation(s), ${result.messages} message(s), ` +
        `idle for over ${days} day(s), from ${where}.\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
}
