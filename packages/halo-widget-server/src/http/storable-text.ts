// storable-text (docs/protocol.md): what every store can keep as it is. Checked at the edge
// for each field that is stored, so a store never meets text it cannot write.

// A high surrogate without a low one after it, or a low one without a high one before it.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Whether `text` can be stored as it is by every store. PostgreSQL and PGlite refuse a NUL
 * in text and jsonb (one in a user id made the rollout counter's transaction fail, and the
 * counter retry it forever), and a lone surrogate is not Unicode: UTF-8 cannot encode it.
 */
export function isStorableText(text: string): boolean {
  return !text.includes('\u0000') && !LONE_SURROGATE.test(text);
}

/** Whether any object key or string inside `value` (any depth: bound the depth first) is not {@link isStorableText}. */
export function hasUnstorableText(value: unknown): boolean {
  if (typeof value === 'string') return !isStorableText(value);
  if (typeof value !== 'object' || value === null) return false;
  for (const key in value) {
    if (Object.hasOwn(value, key) && (!isStorableText(key) || hasUnstorableText((value as Record<string, unknown>)[key]))) return true;
  }
  return false;
}
