// The three ConversationStore engines for contract tests: memory, embedded (PGlite in a
// temporary folder) and PostgreSQL (a throwaway cluster), each with a round-trip counter.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryStore, type ConversationCaps, type ConversationStore } from '../../packages/halo-widget-server/src/index.js';
import { createEmbeddedStore } from '../../packages/halo-widget-server/src/store/create-embedded-store.js';
import { createPostgresStore } from '../../packages/halo-widget-server/src/store/create-postgres-store.js';
import { createPgClient, type SqlClient, type SqlQueryable } from '../../packages/halo-widget-server/src/store/sql-client.js';
import type { PostgresCluster } from './postgres.js';

/** Wraps a client so every statement sent (one round trip each) is counted. */
export function countingClient(inner: SqlClient): SqlClient & { count: number; texts: string[] } {
  const counted = {
    count: 0,
    texts: [] as string[],
    engine: inner.engine,
    query: (text: string, params?: readonly unknown[]) => {
      counted.count++;
      counted.texts.push(text);
      return inner.query(text, params);
    },
    exec: (text: string) => {
      counted.count++;
      counted.texts.push(text);
      return inner.exec(text);
    },
    transaction: <T>(fn: (tx: SqlQueryable) => Promise<T>) => inner.transaction(fn),
    listen: inner.listen && ((...args: Parameters<NonNullable<SqlClient['listen']>>) => inner.listen!(...args)),
    close: () => inner.close(),
  };
  return counted as typeof counted & SqlClient;
}

export interface Engine {
  name: 'memory' | 'embedded' | 'postgres';
  store: ConversationStore;
  /** Statements sent so far (null for memory). */
  roundTrips(): number | null;
  close(): Promise<void>;
}

/** Opens one engine; PostgreSQL needs the test file's cluster. */
export async function openEngine(
  name: Engine['name'],
  cluster?: () => PostgresCluster,
  options: { caps?: ConversationCaps } = {},
): Promise<Engine> {
  if (name === 'memory') return { name, store: createMemoryStore(options), roundTrips: () => null, close: async () => undefined };
  if (name === 'embedded') {
    const dir = mkdtempSync(join(tmpdir(), 'halo-embedded-'));
    const store = await createEmbeddedStore({ dataDir: dir, ...options });
    // The embedded store's own client is not wrapped; its round trips are PostgreSQL's too (same SQL).
    return {
      name,
      store,
      roundTrips: () => null,
      close: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const client = countingClient(await createPgClient({ connectionString: cluster!().url }));
  const store = await createPostgresStore({ client, ...options });
  return { name, store, roundTrips: () => client.count, close: () => store.close() };
}
