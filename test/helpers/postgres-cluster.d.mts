// Types of bench/postgres-cluster.mjs for the TypeScript tests that import it.
export interface PostgresCluster {
  /** `postgres://halo@127.0.0.1:PORT/halo` (trust authentication, no password). */
  url: string;
  port: number;
  /** Creates another database in the cluster and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (immediate shutdown: as if it crashed or the network dropped). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops the server and deletes the cluster. */
  remove(): Promise<void>;
}
export declare const PG_BIN: string;
export declare function freePort(): Promise<number>;
export declare function startPostgres(options?: { fsync?: boolean }): Promise<PostgresCluster>;
