import type { ServerResponse } from 'node:http';
import type { StoreEvent, SupportStore } from '../store/conversation-model.js';
import type { HaloLogger } from '../types.js';
import { ChannelStream } from './channel-stream.js';
import type { ResolvedChannelLimits } from './channel-limits.js';

/** Why the hub refused to open a channel (answered `503` with `Retry-After`). */
export type OpenRefusal = 'too_many_channels' | 'too_many_channels_from_address';

/** The open channels of one instance; see {@link createChannelHub}. */
export interface ChannelHub {
  /** Opens a channel on `res`, or says why not (channel-bounded). */
  open(res: ServerResponse, project: string, owner: string, address: string): ChannelStream | OpenRefusal;
  /** Open channels now. */
  readonly size: number;
  /** Ends every channel with `reason: 'shutdown'` and the retry hint, and stops listening. */
  close(retryAfterMs: number): void;
}

/** A key no two (project, owner) pairs share. */
const keyOf = (project: string, owner: string): string => `${project.length}:${project}${owner}`;

/**
 * The instance's channels, by project and owner, fed by the store's notifier: every
 * `message.created` of an owner makes that owner's channels read after their cursors
 * (channel-never-polls), and a `resync` makes every channel do so for all its conversations. One heartbeat timer for all channels, running only while one is
 * open; the per-instance and per-address caps are checked on open.
 */
export function createChannelHub(store: SupportStore, limits: ResolvedChannelLimits, logger: HaloLogger): ChannelHub {
  const byOwner = new Map<string, Set<ChannelStream>>();
  const perAddress = new Map<string, number>();
  let size = 0;
  let heartbeat: ReturnType<typeof setInterval> | undefined;

  const host = {
    store,
    logger,
    maxBufferedBytes: limits.maxBufferedBytes,
    closed(stream: ChannelStream): void {
      const key = keyOf(stream.project, stream.owner);
      const set = byOwner.get(key);
      if (!set?.delete(stream)) return;
      if (set.size === 0) byOwner.delete(key);
      const count = perAddress.get(stream.address)! - 1;
      if (count === 0) perAddress.delete(stream.address);
      else perAddress.set(stream.address, count);
      if (--size === 0) {
        clearInterval(heartbeat);
        heartbeat = undefined;
      }
    },
  };

  const unsubscribe = store.notifier.subscribe((event: StoreEvent) => {
    if (event.type === 'resync') {
      // The notifier was cut off (PostgreSQL listener reconnect): what it announced meanwhile
      // is not repeated, so every channel reads its conversations after its cursors.
      for (const set of byOwner.values()) for (const stream of set) stream.resync();
      return;
    }
    if (event.type === 'message.delta') {
      for (const stream of byOwner.get(keyOf(event.project, event.owner)) ?? []) stream.delta(event.conversation_id, event.id, event.text);
      return;
    }
    if (event.type !== 'message.created') return;
    const set = byOwner.get(keyOf(event.project, event.owner));
    // A message for one identity is only ever read by that identity's channels.
    if (set) for (const stream of set) stream.pull(event.conversation_id, event.seq);
  });

  return {
    open(res, project, owner, address) {
      if (size >= limits.maxChannels) return 'too_many_channels';
      const fromAddress = perAddress.get(address) ?? 0;
      if (fromAddress >= limits.maxChannelsPerAddress) return 'too_many_channels_from_address';
      const stream = new ChannelStream(res, project, owner, address, host);
      const key = keyOf(project, owner);
      let set = byOwner.get(key);
      if (!set) byOwner.set(key, (set = new Set()));
      set.add(stream);
      perAddress.set(address, fromAddress + 1);
      if (size++ === 0) {
        heartbeat = setInterval(() => byOwner.forEach((streams) => streams.forEach((s) => s.heartbeat())), limits.heartbeatSeconds * 1000);
        heartbeat.unref();
      }
      return stream;
    },
    get size() {
      return size;
    },
    close(retryAfterMs) {
      unsubscribe();
      for (const set of [...byOwner.values()]) for (const stream of [...set]) stream.end('shutdown', retryAfterMs);
    },
  };
}
