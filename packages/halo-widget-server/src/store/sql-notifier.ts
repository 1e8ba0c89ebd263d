import type { Author, MessageDeltaEvent, StoreEvent } from './conversation-model.js';
import type { LocalNotifier } from './local-notifier.js';
import type { SqlClient } from './sql-client.js';
import { idFromStorable, storableId } from './stored-form.js';

/** The channel every SQL write announces on (`pg_notify` in the writing statement). */
export const EVENTS_CHANNEL = 'halo_events';

/**
 * An event from its NOTIFY payload: a JSON array of ids only (the statements build it with
 * `json_build_array`): `['m', project, conversation, owner, seq, message id, author]` or
 * `['c', project, conversation, owner]`, ids in their stored form, or a streaming reply's
 * `['d', project, conversation, owner, reply id, text so far]`. Null for anything else.
 */
export function eventOf(payload: string): StoreEvent | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch (error) {
    void error; // not one of ours (someone else's NOTIFY on the channel): ignored
    return null;
  }
  if (!Array.isArray(parsed) || parsed.slice(1, 4).some((part) => typeof part !== 'string')) return null;
  const [kind, project, conversation, owner] = parsed as [unknown, string, string, string];
  const ids = { project: idFromStorable(project), conversation_id: idFromStorable(conversation), owner: idFromStorable(owner) };
  if (kind === 'c') return { type: 'conversation.updated', ...ids };
  if (kind === 'd' && typeof parsed[4] === 'string' && typeof parsed[5] === 'string') {
    return { type: 'message.delta', ...ids, id: parsed[4], text: parsed[5] };
  }
  if (kind === 'm' && typeof parsed[4] === 'number' && typeof parsed[5] === 'string' && typeof parsed[6] === 'string') {
    return { type: 'message.created', ...ids, seq: parsed[4], message_id: idFromStorable(parsed[5]), author: parsed[6] as Author };
  }
  return null;
}

/**
 * Starts delivering the database's announcements to `notifier`: every instance on one
 * PostgreSQL database hears every committed write (LISTEN on a held connection); PGlite's
 * arrive in its one process. Resolves with `stop`, or with a no-op when the client cannot listen.
 */
export async function listenForEvents(client: SqlClient, notifier: LocalNotifier): Promise<() => Promise<void>> {
  if (!client.listen) return async () => undefined;
  return client.listen(
    EVENTS_CHANNEL,
    (payload) => {
      const event = eventOf(payload);
      if (event) notifier.emit(event);
    },
    () => notifier.emit({ type: 'resync' }),
  );
}

/** NOTIFY's payload limit is 8 000 bytes; a delta over this is skipped (the stored reply carries the text). */
const MAX_DELTA_PAYLOAD = 7_900;

/** Announces a streaming reply's text so far on the events channel, storing nothing (`SupportStore.publishDelta`). */
export async function publishDeltaOn(client: SqlClient, notifier: LocalNotifier, event: MessageDeltaEvent): Promise<void> {
  const k = storableId;
  if (!client.listen) {
    // Nobody listens on this client (no other instance can): delivered in this process.
    notifier.emit(event);
    return;
  }
  const payload = JSON.stringify(['d', k(event.project), k(event.conversation_id), k(event.owner), event.id, event.text]);
  if (Buffer.byteLength(payload) > MAX_DELTA_PAYLOAD) return;
  await client.query("select pg_notify('halo_events', $1)", [payload]);
}
