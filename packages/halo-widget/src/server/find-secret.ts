// Every identity secret starts with SECRET_PREFIX (the config check refuses any other).
import { SECRET_PREFIX } from '../protocol.js';

/** What {@link findSecret} found: where a secret is (a path such as `user_traits.note`), or that the value nests too deep to look. */
export type SecretFinding = { kind: 'secret'; path: string } | { kind: 'too_deep' };

/** Secrets, or a function that lists them: called only once a string holds the prefix, so a clean request builds no list. */
export type SecretList = readonly string[] | (() => readonly string[]);

// A key that holds part of a secret (its prefix and more) is not spelled out in the path.
const segment = (key: string): string =>
  key.includes(SECRET_PREFIX) ? '[…]' : /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key.slice(0, 40))}]`;

/** The path below the value where a secret is ('' for the value itself), `null` for none, or TOO_DEEP. */
const TOO_DEEP = Symbol('too deep');
type Found = string | null | typeof TOO_DEEP;

function search(value: unknown, holds: (text: string) => boolean, depth: number): Found {
  if (typeof value === 'string') return value.includes(SECRET_PREFIX) && holds(value) ? '' : null;
  if (typeof value !== 'object' || value === null) return null;
  if (depth === 0) return TOO_DEEP;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = search(value[i], holds, depth - 1);
      if (found !== null) return found === TOO_DEEP ? found : `[${i}]${found}`;
    }
    return null;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    // A key is a string too: `{ [secret]: 1 }` leaks as much as a value.
    if (key.includes(SECRET_PREFIX) && holds(key)) return ' (a key)';
    const found = search((value as Record<string, unknown>)[key], holds, depth - 1);
    if (found !== null) return found === TOO_DEEP ? found : `${segment(key)}${found}`;
  }
  return null;
}

/**
 * Looks through every string of a parsed JSON value, object keys included, at any depth up to
 * `maxDepth`, for one that CONTAINS any of `secrets` (`"key=" + secret` counts, not only a
 * string that starts with one). A string without the secrets' common prefix costs one
 * `includes`, and the path is built only for a hit. The path is made of the value's keys
 * (`label` first), never of the secret.
 */
export function findSecret(value: unknown, secrets: SecretList, maxDepth = 32, label = ''): SecretFinding | null {
  let list: readonly string[] | null = null;
  const holds = (text: string): boolean => {
    list ??= typeof secrets === 'function' ? secrets() : secrets;
    return list.some((secret) => secret.length > SECRET_PREFIX.length && text.includes(secret));
  };
  const found = search(value, holds, maxDepth);
  if (found === null) return null;
  if (found === TOO_DEEP) return { kind: 'too_deep' };
  const path = `${label}${found}`.replace(/^\./, '');
  return { kind: 'secret', path: path === '' || path.startsWith(' ') ? `(value)${path}` : path };
}
