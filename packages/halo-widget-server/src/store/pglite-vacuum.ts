/**
 * PGlite runs PostgreSQL in single-user mode, where autovacuum never runs. Every chat updates
 * its conversation's row (last_seq, bytes, last_message_at), so without a vacuum the dead
 * versions pile up and each lookup walks more of them: measured, 200 conversations under load
 * went from ~650 to ~250 chats/s in 45 s with 12 800 dead rows behind 200 live ones; with a
 * vacuum every few seconds (3–8 ms each) they held ~1 400 chats/s (ADR 0871).
 *
 * The keeper does what autovacuum would: every `checkEvery` statements it vacuums the tables
 * whose dead rows pass autovacuum's own default threshold (50 + 20 % of the live rows).
 */
export interface VacuumKeeper {
  /** Counts one statement; starts a check (in the background) once `checkEvery` are counted. */
  counted(): void;
  /** Resolves once no check is running (before the database closes). */
  idle(): Promise<void>;
}

/** What the keeper needs of a PGlite instance. */
interface Vacuumable {
  query<Row>(text: string, params?: unknown[]): Promise<{ rows: Row[] }>;
  exec(text: string): Promise<unknown>;
  readonly closed: boolean;
}

const DUE = `
select format('%I.%I', schemaname, relname) as name from pg_stat_user_tables
where n_dead_tup > 50 + 0.2 * n_live_tup order by n_dead_tup desc`;

/** Statements between two checks: at a busy embedded server's ~150 statements/s, about one check a second. */
export const VACUUM_CHECK_EVERY = 200;

export function createVacuumKeeper(
  db: Vacuumable,
  { checkEvery = VACUUM_CHECK_EVERY, report = (error: Error) => process.emitWarning(error) } = {},
): VacuumKeeper {
  let statements = 0;
  let running: Promise<void> | null = null;

  async function check(): Promise<void> {
    const { rows } = await db.query<{ name: string }>(DUE);
    // One table per statement: PGlite runs one statement at a time, so chats wait for a few ms, not for all of them.
    for (const { name } of rows) if (!db.closed) await db.exec(`vacuum ${name}`);
  }

  return {
    counted() {
      if (++statements < checkEvery || running || db.closed) return;
      statements = 0;
      running = check()
        .catch((error: unknown) => {
          // A vacuum that fails loses nothing (the rows stay, only slower); it is tried again at the next check.
          if (!db.closed) report(new Error(`halo-widget-server: vacuum of the embedded database failed: ${(error as Error).message}`));
        })
        .finally(() => {
          running = null;
        });
    },
    idle: async () => {
      await running;
    },
  };
}
