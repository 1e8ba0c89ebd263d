/** Every identity secret starts with this (the config check refuses any other). */
const SECRET_PREFIX = 'ha_secret_';

/** What {@link findSecret} found: where a secret is (a path such as `user_traits.note`), or that the value nests too deep to look. */
export type SecretFinding = { kind: 'secret'; path: string } | { kind: 'too_deep' };

// A key that holds part of a secret (its prefix and more) is not spelled out in the path.
const step = (path: string, key: string): string =>
  key.includes(SECRET_PREFIX)
    ? `${path}[…]`
    : /^[A-Za-z_$][\w$]*$/.test(key)
      ? path
        ? `${path}.${key}`
        : key
      : `${path}[${JSON.stringify(key.slice(0, 40))}]`;

/**
 * Looks through every string of a parsed JSON value, at any depth up to `maxDepth`, for one
 * that CONTAINS any of `secrets` (`"key=" + secret` counts, not only a string that starts
 * with one). Strings without the secrets' common prefix are passed over at the cost of one
 * `includes`. The path it reports is built from the value's keys, never from the secret.
 */
export function findSecret(value: unknown, secrets: readonly string[], maxDepth = 32, path = ''): SecretFinding | null {
  if (typeof value === 'string') {
    if (!value.includes(SECRET_PREFIX)) return null;
    return secrets.some((secret) => secret.length > SECRET_PREFIX.length && value.includes(secret))
      ? { kind: 'secret', path: path || '(value)' }
      : null;
  }
  if (typeof value !== 'object' || value === null) return null;
  if (maxDepth === 0) return { kind: 'too_deep' };
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findSecret(value[i], secrets, maxDepth - 1, `${path}[${i}]`);
      if (found) return found;
    }
    return null;
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    // A key is a string too: `{ [secret]: 1 }` leaks as much as a value.
    if (key.includes(SECRET_PREFIX) && secrets.some((secret) => key.includes(secret)))
      return { kind: 'secret', path: `${path || '(value)'} (a key)` };
    const found = findSecret((value as Record<string, unknown>)[key], secrets, maxDepth - 1, step(path, key));
    if (found) return found;
  }
  return null;
}
