import type { Pool, PoolClient } from 'pg';
import { toStoreError } from './store-unavailable-error.js';

/** The pg side of {@link SqlClient.listen}: one held connection, connected again with backoff when lost. */
export async function listenOnPool(
  pool: Pool,
  secrets: string[],
  channel: string,
  onNotify: (payload: string) => void,
  onResync: () => void,
): Promise<() => Promise<void>> {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new TypeError(`listen: ${JSON.stringify(channel)} is not a plain identifier.`);
  let stopped = false;
  let current: PoolClient | null = null;
  let timer: NodeJS.Timeout | undefined;
  const lost = (connection: PoolClient, error: Error) => {
    if (current !== connection) return;
    current = null;
    // Released with the error: the pool discards the connection instead of reusing it.
    connection.release(error);
    if (!stopped) again(0);
  };
  const connect = async () => {
    let connection: PoolClient;
    try {
      connection = await pool.connect();
    } catch (error) {
      throw toStoreError(error, secrets);
    }
    connection.on('notification', (note) => {
      if (note.channel === channel && note.payload !== undefined) onNotify(note.payload);
    });
    connection.on('error', (error) => lost(connection, error));
    connection.on('end', () => lost(connection, new Error('the listening connection ended')));
    current = connection;
    try {
      await connection.query(`listen ${channel}`);
    } catch (error) {
      lost(connection, error as Error);
      throw toStoreError(error, secrets);
    }
  };
  const again = (attempt: number) => {
    // 250 ms, doubling, at most 10 s between tries: a restarting database is found again soon.
    timer = setTimeout(
      () => {
        connect().then(
          () => {
            if (stopped) return;
            onResync();
          },
          () => {
            if (!stopped && current === null) again(attempt + 1);
          },
        );
      },
      Math.min(10_000, 250 * 2 ** attempt),
    );
    timer.unref();
  };
  await connect();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    const connection = current;
    current = null;
    if (connection) connection.release(true);
  };
}
