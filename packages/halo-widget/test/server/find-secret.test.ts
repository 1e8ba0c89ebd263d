import { describe, expect, it } from 'vitest';
import { findSecret } from '../../src/server/find-secret.js';
import { generateProjectKeys } from '../../src/server/index.js';

const SECRET = generateProjectKeys().identitySecret;

describe('findSecret', () => {
  it('finds a secret inside a string, not only at its start, and names the path without it', () => {
    const found = findSecret({ user_traits: { note: `key=${SECRET}` } }, [SECRET]);
    expect(found).toEqual({ kind: 'secret', path: 'user_traits.note' });
    expect(JSON.stringify(found)).not.toContain(SECRET);
  });

  it('finds one in arrays, deep objects and keys', () => {
    expect(findSecret({ a: [{ b: [`x${SECRET}y`] }] }, [SECRET])).toEqual({ kind: 'secret', path: 'a[0].b[0]' });
    expect(findSecret({ t: { [SECRET]: 1 } }, [SECRET])).toMatchObject({ kind: 'secret' });
  });

  it('passes a value with the prefix but no configured secret, and other strings', () => {
    expect(findSecret({ note: 'ha_secret_ is our prefix', n: 1, b: true, z: null }, [SECRET])).toBeNull();
  });

  it('says a value nested past the bound is too deep to look at', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 50; i++) deep = { d: deep };
    expect(findSecret(deep, [SECRET], 32)).toEqual({ kind: 'too_deep' });
  });
});
