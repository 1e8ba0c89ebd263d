import type { ConversationStore } from './store.js';
import { createMemoryStore } from './store.js';
import { createEmbeddedStore } from './create-embedded-store.js';
import { createPostgresStore } from './create-postgres-store.js';
import { isStoreUnavailable } from './store-unavailable-error.js';

/** How `halo-widget-server serve` chose its store. */
export interface StoreChoice {
  /** A PostgreSQL connection string (from `DATABASE_URL` or the config's `database`). */
  databaseUrl?: string;
  /** The embedded store's folder. @default './halo-data' */
  dataDir?: string;
  /** Keep everything in memory (bounded, lost on exit). */
  memory?: boolean;
}

/** An opened store, what to call it in a log line (no password), and how to close it. */
export interface OpenedStore {
  store: ConversationStore;
  description: string;
  close(): Promise<void>;
}

/** `host:port/database` of a connection string: what a log may show of it. */
export function describeDatabase(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}${parsed.port ? `:${parsed.port}` : ''}${parsed.pathname}`;
  } catch (error) {
    void error; // not a URL (key=value form): say nothing of it
    return 'the configured server';
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Opens the store `serve` runs on: memory when asked, PostgreSQL when a URL is given, else the
 * embedded store. A PostgreSQL that cannot be reached yet is waited for (retried with a
 * growing pause, each failure reported through `warn`): the server starts when it is there.
 */
export async function openConfiguredStore(choice: StoreChoice, warn: (line: string) => void): Promise<OpenedStore> {
  if (choice.memory) return { store: createMemoryStore(), description: 'memory (bounded, lost on exit)', close: async () => undefined };
  if (choice.databaseUrl) {
    const where = describeDatabase(choice.databaseUrl);
    for (let attempt = 1; ; attempt++) {
      try {
        const store = await createPostgresStore({ connectionString: choice.databaseUrl });
        return { store, description: `PostgreSQL at ${where}`, close: () => store.close() };
      } catch (error) {
        if (!isStoreUnavailable(error)) throw error;
        const pause = Math.min(attempt, 5);
        warn(`[halo] ${(error as Error).message}; PostgreSQL at ${where} not reachable yet, retrying in ${pause} s`);
        await sleep(pause * 1000);
      }
    }
  }
  const dataDir = choice.dataDir ?? 'halo-data';
  // This process is the server's own: PGlite's code may be compiled small (ADR 0870).
  const store = await createEmbeddedStore({ dataDir, smallWasmCode: true });
  return { store, description: `embedded (PGlite) in ${dataDir}`, close: () => store.close() };
}
