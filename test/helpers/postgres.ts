// A throwaway PostgreSQL cluster per test file (bench/postgres-cluster.mjs does the work:
// initdb in a temporary directory, pg_ctl on a free loopback port, removed afterwards).
import { afterAll, beforeAll } from 'vitest';
import { startPostgres, type PostgresCluster } from './postgres-cluster.mjs';

export { freePort, startPostgres } from './postgres-cluster.mjs';
export type { PostgresCluster } from './postgres-cluster.mjs';

/** A cluster for the test file: started in beforeAll, removed in afterAll. */
export function usePostgres(): { readonly cluster: PostgresCluster } {
  const holder: { cluster: PostgresCluster | null } = { cluster: null };
  beforeAll(async () => {
    holder.cluster = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await holder.cluster?.remove();
  }, 60_000);
  return {
    get cluster() {
      if (!holder.cluster) throw new Error('the PostgreSQL cluster is not started yet (use it inside a test)');
      return holder.cluster;
    },
  };
}
