import { describe, expect, it } from 'vitest';
import {
  checkTraits,
  DEFAULT_TRAIT_LIMITS,
  mergeTraits,
  readStoredTraits,
  resolveTraitLimits,
  traitValues,
  verifiedTraitNames,
  type StoredTraits,
} from '../../src/identity/traits.js';

const limits = DEFAULT_TRAIT_LIMITS;

describe('checkTraits', () => {
  it('accepts an object within the limits, and nothing as {}', () => {
    expect(checkTraits({ name: 'Ann', company: { name: 'Acme', tags: ['a'] } }, limits)).toEqual({
      name: 'Ann',
      company: { name: 'Acme', tags: ['a'] },
    });
    expect(checkTraits(undefined, limits)).toEqual({});
    expect(checkTraits(null, limits)).toEqual({});
  });

  it('refuses a non-object, too many keys, too deep a nesting and too many bytes, saying which', () => {
    expect(() => checkTraits('x', limits)).toThrow('`user_traits` must be an object.');
    expect(() => checkTraits([1], limits)).toThrow('must be an object');
    expect(() => checkTraits(Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 1])), limits)).toThrow('more than 50 keys');
    expect(checkTraits({ a: { b: { c: { d: 1 } } } }, limits)).toBeTruthy(); // 4 levels: the limit
    expect(() => checkTraits({ a: { b: { c: { d: { e: 1 } } } } }, limits)).toThrow('nests more than 4 levels deep');
    expect(() => checkTraits({ note: 'x'.repeat(9000) }, limits)).toThrow(/is 9\d{3} bytes of JSON; the limit is 4096/);
  });

  it('refuses a trait nested thousands of levels deep without overflowing the stack', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = { d: deep };
    expect(() => checkTraits({ deep }, limits)).toThrow('nests more than 4 levels deep');
  });

  it('refuses nonsense limits', () => {
    expect(() => resolveTraitLimits({ maxBytes: 0 })).toThrow(/traitLimits.maxBytes/);
  });
});

describe('mergeTraits', () => {
  const stored = (entries: Record<string, [unknown, boolean, number]>): StoredTraits =>
    Object.fromEntries(Object.entries(entries).map(([name, [value, verified, at]]) => [name, { value, verified, at }]));

  it('records whether each trait was set by a verified request', () => {
    const { record } = mergeTraits({}, { email: 'a@x.test' }, true, limits, 5);
    expect(record).toEqual({ email: { value: 'a@x.test', verified: true, at: 5 } });
    expect(mergeTraits(record, { plan: 'free' }, false, limits, 6).record.plan).toEqual({ value: 'free', verified: false, at: 6 });
  });

  it('never lets an unverified request overwrite a trait a verified one set', () => {
    const before = stored({ email: ['victim@x.test', true, 1] });
    const { record, changed } = mergeTraits(before, { email: 'attacker@evil.test' }, false, limits, 2);
    expect(changed).toBe(false);
    expect(record.email).toEqual({ value: 'victim@x.test', verified: true, at: 1 });
  });

  it('lets a verified request overwrite an unverified trait, which becomes verified', () => {
    const { record } = mergeTraits(stored({ plan: ['enterprise', false, 1] }), { plan: 'free' }, true, limits, 2);
    expect(record.plan).toEqual({ value: 'free', verified: true, at: 2 });
  });

  it('reports no change for traits sent again unchanged, so the store is not written', () => {
    const { record } = mergeTraits({}, { plan: 'pro', tags: ['a'] }, true, limits, 1);
    expect(mergeTraits(record, { plan: 'pro', tags: ['a'] }, true, limits, 2)).toEqual({ record, changed: false });
    expect(mergeTraits(record, { plan: 'pro', tags: ['b'] }, true, limits, 2).changed).toBe(true);
  });

  it('keeps at most maxKeys traits, dropping those set longest ago', () => {
    const small = { ...limits, maxKeys: 2 };
    let record: StoredTraits = {};
    for (const [i, name] of ['a', 'b', 'c'].entries()) record = mergeTraits(record, { [name]: i }, false, small, i).record;
    expect(Object.keys(record)).toEqual(['b', 'c']);
  });

  it('never evicts a verified trait for an unverified one: the unverified newcomer is dropped instead', () => {
    const small = { ...limits, maxKeys: 2 };
    const before = stored({ a: [1, true, 1], b: [2, true, 2] });
    const { record } = mergeTraits(before, { c: 3 }, false, small, 3);
    expect(Object.keys(record)).toEqual(['a', 'b']);
  });

  it('keeps the stored values within maxBytes', () => {
    const small = { ...limits, maxBytes: 100 };
    let record: StoredTraits = {};
    for (let i = 0; i < 10; i++) record = mergeTraits(record, { [`t${i}`]: 'x'.repeat(30) }, false, small, i).record;
    expect(JSON.stringify(traitValues(record)).length).toBeLessThanOrEqual(100);
    expect(Object.keys(record)).toContain('t9');
  });
});

describe('reading the record', () => {
  it('gives values, verified values and the verified names; drops malformed entries', () => {
    const record = readStoredTraits({
      b: { value: 2, verified: false, at: 2 },
      a: { value: 1, verified: true, at: 1 },
      junk: 'x',
      no: { verified: true },
    });
    expect(Object.keys(record)).toEqual(['a', 'b']);
    expect(traitValues(record)).toEqual({ a: 1, b: 2 });
    expect(traitValues(record, true)).toEqual({ a: 1 });
    expect(verifiedTraitNames(record)).toEqual(['a']);
  });

  it('keeps a __proto__ trait an own property', () => {
    const record = mergeTraits({}, JSON.parse('{"__proto__": {"polluted": true}}'), false, limits, 1).record;
    expect(Object.hasOwn(record, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.hasOwn(traitValues(record), '__proto__')).toBe(true);
  });
});
