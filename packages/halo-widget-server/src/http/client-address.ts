import type { IncomingMessage } from 'node:http';

/**
 * How far to trust `X-Forwarded-For`: `false` (the default) keys clients by the socket's
 * address; `true` or `1` by the address the nearest proxy saw (the last entry it appended);
 * `n` by the entry `n` hops from the right, for a chain of `n` proxies you run.
 */
export type TrustProxy = boolean | number;

/** The number of trusted proxy hops `trustProxy` stands for (0: none). */
export function proxyHops(trustProxy: TrustProxy | undefined): number {
  if (trustProxy === true) return 1;
  if (typeof trustProxy === 'number' && Number.isInteger(trustProxy) && trustProxy > 0) return trustProxy;
  return 0;
}

/** `::ffff:1.2.3.4` → `1.2.3.4`; an IPv6 address → its /64 as eight groups (one host usually holds a whole /64). */
export function addressKey(address: string): string {
  const lower = address.trim().toLowerCase();
  if (lower.startsWith('::ffff:') && lower.includes('.')) return lower.slice(7);
  if (!lower.includes(':')) return lower;
  const zone = lower.indexOf('%');
  const bare = zone === -1 ? lower : lower.slice(0, zone);
  const [head = '', tail] = bare.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/**
 * The client address a request is limited by. Entries left of the trusted hops are what the
 * client itself wrote, so they are never used: with `trustProxy: 1` a client that sends
 * `X-Forwarded-For: 1.2.3.4` is still keyed by the address the proxy appended.
 */
export function clientAddress(req: IncomingMessage, trustProxy?: TrustProxy): string {
  const socketAddress = req.socket.remoteAddress ?? 'unknown';
  const hops = proxyHops(trustProxy);
  if (hops === 0) return addressKey(socketAddress);
  const header = req.headers['x-forwarded-for'];
  const list = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  // Fewer entries than hops: the request did not come through the whole chain; the
  // leftmost entry is then the best the proxies know.
  const entry = list.length === 0 ? socketAddress : (list[list.length - hops] ?? list[0]!);
  return addressKey(entry.slice(0, 100));
}
