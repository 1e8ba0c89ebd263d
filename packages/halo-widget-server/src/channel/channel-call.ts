import type { IncomingMessage, ServerResponse } from 'node:http';
import { addressKey, clientAddress } from '../http/client-address.js';
import { ApiError, type HeaderList } from '../http/http.js';
import { bad, type Body } from '../http/parse-request.js';
import type { Identity } from '../identity/check-identity.js';
import type { SupportStore } from '../store/conversation-model.js';
import type { TrustProxy } from '../http/client-address.js';
import type { ChannelHub } from './channel-hub.js';
import type { ResolvedChannelLimits } from './channel-limits.js';

/** What the `channel` call needs from the API. */
export interface ChannelCallSettings {
  store: SupportStore;
  hub: ChannelHub;
  limits: ResolvedChannelLimits;
  trustProxy?: TrustProxy;
}

const MAX_ID = 256;

/** The `after` cursors of a channel request: `{ "<conversation_id>": <last seq seen> }`. */
export function cursorsOf(body: Body, max: number): Map<string, number> {
  const after = body.after;
  const cursors = new Map<string, number>();
  if (after === undefined || after === null) return cursors;
  if (typeof after !== 'object' || Array.isArray(after)) throw bad('`after` must be an object of conversation ids to seqs.');
  const entries = Object.entries(after as Record<string, unknown>);
  if (entries.length > max) throw bad(`\`after\` names at most ${max} conversations.`);
  for (const [id, seq] of entries) {
    if (id === '' || id.length > MAX_ID) throw bad('`after` has a conversation id that is empty or too long.');
    if (!(typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0)) throw bad('`after` seqs must be non-negative integers.');
    cursors.set(id, seq);
  }
  return cursors;
}

/** Milliseconds until a verified token's `exp` (read from the token the identity check just verified), or null without one. */
function expiresInMs(token: string | undefined): number | null {
  const payload = token?.split('.')[1];
  if (!payload) return null;
  const { exp } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown };
  return typeof exp === 'number' ? exp * 1000 - Date.now() : null;
}

/**
 * `POST /api/sdk/channel`: a verified (or, outside `enforce`, judged) identity opens its
 * live channel, a `text/event-stream` response that stays open. Under `enforce` the server
 * ends it when the token expires (channel-follows-token); the client's `after` cursors are
 * caught up first, for conversations the identity owns (history-isolation: another's is
 * silently ignored, like a missing one).
 */
export async function channelCall(
  settings: ChannelCallSettings,
  who: Identity,
  body: Body,
  token: string | undefined,
  req: IncomingMessage,
  res: ServerResponse,
  headers: HeaderList,
): Promise<void> {
  const { store, hub, limits } = settings;
  const cursors = cursorsOf(body, limits.maxCursors);
  const project = who.project.widgetKey;
  const owned = new Map<string, number>();
  for (const [id, seq] of cursors) {
    const summary = await store.getSummary(project, id);
    if (summary?.owner === who.owner) owned.set(id, seq);
  }
  const stream = hub.open(res, project, who.owner, addressKey(clientAddress(req, settings.trustProxy)));
  if (typeof stream === 'string') {
    // A full instance: another instance (or this one, later) takes the client; it backs off at least this long.
    throw new ApiError(503, 'service_unavailable', 'Too many open channels; try again later.', undefined, { 'Retry-After': '5' });
  }
  headers.push(
    'Content-Type',
    'text/event-stream; charset=utf-8',
    'Cache-Control',
    'no-store, no-transform',
    // nginx and its kin hold streamed answers in a buffer unless told not to.
    'X-Accel-Buffering',
    'no',
  );
  res.writeHead(200, headers);
  res.socket?.setNoDelay(true);
  const expiring = who.verified && who.mode === 'enforce' ? expiresInMs(token) : null;
  stream.start({ heartbeat_seconds: limits.heartbeatSeconds, expires_in_ms: expiring }, expiring);
  for (const [id, seq] of owned) stream.resumeFrom(id, seq);
}
