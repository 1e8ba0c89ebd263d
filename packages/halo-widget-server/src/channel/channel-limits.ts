/** Per-instance bounds of the live channel (docs/protocol.md, channel-bounded). */
export interface ChannelLimits {
  /** Open channels on this instance at most; past it a new one is answered `503` with `Retry-After`. @default 20000 */
  maxChannels?: number;
  /** Open channels per client address at most (the identity check's address). @default 32 */
  maxChannelsPerAddress?: number;
  /**
   * Bytes a channel may have waiting in its socket's buffer: a reader slower than the messages
   * written for it is dropped (it resumes from its cursor), never buffered without bound. @default 65536
   */
  maxBufferedBytes?: number;
  /** Seconds between the server's heartbeats (a comment line) on every open channel. @default 25 */
  heartbeatSeconds?: number;
  /** Conversations a client may name in `after` (its resume cursors). @default 20 */
  maxCursors?: number;
}

/** {@link ChannelLimits} with every default filled in. */
export type ResolvedChannelLimits = Required<ChannelLimits>;

/** Fills in the defaults once; throws a `TypeError` naming a bad limit. */
export function resolveChannelLimits(limits: ChannelLimits = {}): ResolvedChannelLimits {
  const pick = (name: keyof ChannelLimits, fallback: number): number => {
    const value = limits[name];
    if (value === undefined) return fallback;
    if (!(typeof value === 'number' && value > 0)) throw new TypeError(`channel.${name} must be a positive number.`);
    return value;
  };
  return {
    maxChannels: pick('maxChannels', 20_000),
    maxChannelsPerAddress: pick('maxChannelsPerAddress', 32),
    maxBufferedBytes: pick('maxBufferedBytes', 64 * 1024),
    heartbeatSeconds: pick('heartbeatSeconds', 25),
    maxCursors: pick('maxCursors', 20),
  };
}
