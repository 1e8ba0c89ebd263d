// What a server keeps of the identities it read: bounded in entries and in conversations per
// identity, updated by its own trait writes only for what it already holds, and never changed
// by a caller that mutates the traits it was given.
import { describe, expect, it } from 'vitest';
import { KnownIdentities } from '../../src/store/known-identities.js';

const key = (owner: string) => KnownIdentities.key('project', owner);

describe('KnownIdentities', () => {
  it('keeps at most `max` identities and forgets the least recently used one first', () => {
    const known = new KnownIdentities(2);
    known.remember(key('a'), 'c-a', true, null, '1');
    known.remember(key('b'), 'c-b', true, null, '1');
    expect(known.get(key('a'))?.latest).toBe('c-a'); // a is now the most recently used
    known.remember(key('c'), 'c-c', true, null, '1');
    expect(known.get(key('b'))).toBeUndefined();
    expect(known.get(key('a'))?.latest).toBe('c-a');
    expect(known.get(key('c'))?.latest).toBe('c-c');
  });

  it('gives no two (project, owner) pairs the same key', () => {
    expect(KnownIdentities.key('ab', 'c')).not.toBe(KnownIdentities.key('a', 'bc'));
  });

  it('keeps a bounded number of owned conversations per identity, always including the last one found', () => {
    const known = new KnownIdentities(10);
    known.remember(key('a'), 'c-latest', true, null, '1');
    for (let i = 0; i < 100; i++) known.remember(key('a'), `c-${i}`, false, null, '1');
    const entry = known.get(key('a'))!;
    expect(entry.owned.size).toBeGreaterThan(0);
    expect(entry.owned.size).toBeLessThanOrEqual(8);
    expect(entry.owned.has('c-99')).toBe(true);
    expect(entry.latest).toBe('c-latest'); // a named conversation does not change the latest
  });

  it('updates traits and version on wroteTraits only for an identity it already holds', () => {
    const known = new KnownIdentities(10);
    known.wroteTraits(key('stranger'), { plan: 'pro' }, '5');
    expect(known.get(key('stranger'))).toBeUndefined();

    known.remember(key('a'), 'c-a', true, { plan: 'free' }, '1');
    known.wroteTraits(key('a'), { plan: 'pro' }, '2');
    const entry = known.get(key('a'))!;
    expect(JSON.parse(entry.traits)).toEqual({ plan: 'pro' });
    expect(entry.version).toBe('2');
    expect(entry.latest).toBe('c-a');
    expect(entry.owned.has('c-a')).toBe(true);
  });

  it('keeps its traits when a caller mutates the traits it handed over or the copy it parsed', () => {
    const known = new KnownIdentities(10);
    const read = { name: 'Ann', tags: ['a'] };
    known.remember(key('a'), 'c-a', true, read, '1');
    read.name = 'Mallory';
    read.tags.push('b');
    const parsed = JSON.parse(known.get(key('a'))!.traits) as typeof read;
    parsed.name = 'Eve';
    parsed.tags.push('c');
    expect(JSON.parse(known.get(key('a'))!.traits)).toEqual({ name: 'Ann', tags: ['a'] });

    const written = { name: 'Bob' };
    known.wroteTraits(key('a'), written, '2');
    written.name = 'Mallory';
    expect(JSON.parse(known.get(key('a'))!.traits)).toEqual({ name: 'Bob' });
  });
});
