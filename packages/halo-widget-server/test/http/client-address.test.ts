import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { addressKey, clientAddress } from '../../src/http/client-address.js';

const request = (remoteAddress: string, forwarded?: string) =>
  ({ socket: { remoteAddress }, headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded } }) as unknown as IncomingMessage;

describe('clientAddress', () => {
  it('keys by the socket address and ignores X-Forwarded-For by default', () => {
    expect(clientAddress(request('10.0.0.9', '1.2.3.4'))).toBe('10.0.0.9');
  });

  it('with trustProxy: true, keys by the address the proxy appended, never one the client wrote', () => {
    expect(clientAddress(request('10.0.0.1', '1.2.3.4'), true)).toBe('1.2.3.4');
    expect(clientAddress(request('10.0.0.1', 'forged, 5.6.7.8'), true)).toBe('5.6.7.8');
  });

  it('with trustProxy: n, keys by the entry n hops from the right', () => {
    expect(clientAddress(request('10.0.0.1', 'forged, 5.6.7.8, 10.0.0.2'), 2)).toBe('5.6.7.8');
  });

  it('falls back to the socket address when a trusted proxy sent no header', () => {
    expect(clientAddress(request('10.0.0.1'), true)).toBe('10.0.0.1');
  });
});

describe('addressKey', () => {
  it('reads an IPv4-mapped IPv6 address as IPv4', () => {
    expect(addressKey('::ffff:127.0.0.1')).toBe('127.0.0.1');
  });

  it('keys an IPv6 address by its /64, so one host cannot rotate through its own block', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
  });
});
