import type { SqlClient } from './sql-client.js';

/** What a purge removed (or, dry, would remove). */
export interface PurgeResult {
  conversations: number;
  messages: number;
}

/** Days anonymous conversations are kept when the config says nothing (`retention.visitorConversationsDays`). */
export const DEFAULT_VISITOR_RETENTION_DAYS = 90;

// A visitor's owner key, also in the hex form storableId gives an id with characters PostgreSQL
// cannot hold: U+0001 then each UTF-16 unit of "visitor:" as four hex digits.
const VISITOR = `(c.owner like 'visitor:%' or c.owner like chr(1) || '00760069007300690074006f0072003a%')`;
const OLD = `select c.id from conversations c where ${VISITOR} and c.last_message_at < now() - make_interval(days => $1)`;

/**
 * Deletes anonymous (visitor) conversations whose last message is older than `days`, with their
 * messages, and visitor identities left without a conversation and untouched for as long — in
 * one transaction. A user's conversations are never purged by age. With `dryRun`, counts only.
 */
export async function purgeVisitorConversations(client: SqlClient, days: number, { dryRun = false } = {}): Promise<PurgeResult> {
  if (!Number.isInteger(days) || days < 1) throw new TypeError('purge: the age must be a whole number of days, at least 1.');
  return client.transaction(async (tx) => {
    const { rows } = await tx.query<{ conversations: number; messages: number }>(
      `select count(*)::int as conversations, coalesce(sum(c.last_seq), 0)::int as messages
       from conversations c where c.id in (${OLD})`,
      [days],
    );
    const counted = rows[0]!;
    if (dryRun || counted.conversations === 0) return counted;
    // The identities row points at its latest conversation: unlink it before the delete.
    await tx.query(`update identities set latest_conversation_id = null, version = version + 1 where latest_conversation_id in (${OLD})`, [
      days,
    ]);
    await tx.query(`delete from conversations where id in (${OLD})`, [days]);
    await tx.query(
      `delete from identities x
       where (x.owner like 'visitor:%' or x.owner like chr(1) || '00760069007300690074006f0072003a%')
         and x.latest_conversation_id is null and x.updated_at < now() - make_interval(days => $1)
         and not exists (select 1 from conversations c where c.project = x.project and c.owner = x.owner)`,
      [days],
    );
    return counted;
  });
}
