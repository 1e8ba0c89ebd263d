// The trait rules, in one place: what a request may send as `user_traits`, how it merges
// into what is stored for an identity, and what `respond()` and the answers see. The store
// keeps the record this module builds as it is (a JSON object per project and owner).

import { hasUnstorableText } from '../http/storable-text.js';

/** Limits on client traits (`user_traits`). */
export interface TraitLimits {
  /** Traits per request, and stored per identity. @default 50 */
  maxKeys?: number;
  /** Bytes of JSON per request, and of the values stored per identity. @default 4096 */
  maxBytes?: number;
  /** Levels of nesting: `{ plan: 'pro' }` is 1, `{ company: { name } }` is 2. @default 4 */
  maxDepth?: number;
}

/** The defaults of {@link TraitLimits}. */
export const DEFAULT_TRAIT_LIMITS: Required<TraitLimits> = { maxKeys: 50, maxBytes: 4096, maxDepth: 4 };

/** One stored client trait: its value, whether the request that set it was verified, and when (epoch seconds: a small integer, stored inline). */
export interface StoredTrait {
  value: unknown;
  verified: boolean;
  at: number;
}

/** What the store holds for an identity: one {@link StoredTrait} per name. */
export type StoredTraits = Record<string, StoredTrait>;

/** A request's traits break a limit; the message says which, for a `400 invalid_request`. */
export class TraitLimitError extends Error {}

/** Whether `value` nests deeper than `max` levels (objects and arrays); stops looking at `max + 1`. */
function deeperThan(value: unknown, max: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (max === 0) return true;
  for (const key in value) {
    if (Object.hasOwn(value, key) && deeperThan((value as Record<string, unknown>)[key], max - 1)) return true;
  }
  return false;
}

const sizeOf = (name: string, value: unknown): number => Buffer.byteLength(name) + Buffer.byteLength(JSON.stringify(value) ?? 'null');

/** Resolved limits, with a `TypeError` naming the field for nonsense. */
export function resolveTraitLimits(limits: TraitLimits | undefined): Required<TraitLimits> {
  const resolved = { ...DEFAULT_TRAIT_LIMITS, ...limits };
  for (const name of ['maxKeys', 'maxBytes', 'maxDepth'] as const) {
    if (!Number.isInteger(resolved[name]) || resolved[name] < 1)
      throw new TypeError(`Halo API config: traitLimits.${name} must be a positive integer.`);
  }
  return resolved;
}

/**
 * A request's `user_traits`, checked: an object of at most `maxKeys` traits, nested at most
 * `maxDepth` levels, at most `maxBytes` of JSON. Depth is checked first, so nothing deeper is
 * ever serialised (a trait 4 000 levels deep used to overflow the stack on every later read).
 */
export function checkTraits(value: unknown, limits: Required<TraitLimits>): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new TraitLimitError('`user_traits` must be an object.');
  const traits = value as Record<string, unknown>;
  if (Object.keys(traits).length > limits.maxKeys) throw new TraitLimitError(`\`user_traits\` has more than ${limits.maxKeys} keys.`);
  if (deeperThan(traits, limits.maxDepth)) throw new TraitLimitError(`\`user_traits\` nests more than ${limits.maxDepth} levels deep.`);
  // storable-text: PostgreSQL's jsonb refuses \u0000 and lone surrogates (checked after the depth, so the walk is bounded).
  if (hasUnstorableText(traits)) throw new TraitLimitError('`user_traits` contains a NUL character or invalid Unicode (a lone surrogate).');
  const bytes = Buffer.byteLength(JSON.stringify(traits));
  if (bytes > limits.maxBytes) throw new TraitLimitError(`\`user_traits\` is ${bytes} bytes of JSON; the limit is ${limits.maxBytes}.`);
  return traits;
}

/** The stored record, keeping only well-formed entries (a store may hand back anything). */
export function readStoredTraits(record: unknown): StoredTraits {
  const out: [string, StoredTrait][] = [];
  if (typeof record === 'object' && record !== null) {
    for (const [name, entry] of Object.entries(record as Record<string, unknown>)) {
      if (typeof entry !== 'object' || entry === null || !Object.hasOwn(entry, 'value')) continue;
      const { value, verified, at } = entry as Partial<StoredTrait>;
      out.push([name, { value, verified: verified === true, at: typeof at === 'number' ? at : 0 }]);
    }
  }
  // Oldest first: the order the caps evict in.
  out.sort((a, b) => a[1].at - b[1].at);
  return Object.fromEntries(out);
}

/**
 * Merges a request's traits into the stored record. A trait set by a verified request is
 * never overwritten, nor evicted, by an unverified one (monitor mode must not let anyone
 * rewrite a verified user's email); every trait written records whether its request was
 * verified. A trait sent again unchanged keeps its entry. Past `maxKeys` or `maxBytes` the
 * unverified traits go first, oldest first; a verified trait is never evicted to make room:
 * this request's own new ones are dropped instead.
 * @returns the new record, and whether it differs from the stored one.
 */
export function mergeTraits(
  stored: StoredTraits,
  sent: Record<string, unknown>,
  verified: boolean,
  limits: Required<TraitLimits>,
  now = Math.floor(Date.now() / 1000),
): { record: StoredTraits; changed: boolean } {
  const merged = new Map(Object.entries(stored));
  let changed = false;
  for (const [name, value] of Object.entries(sent)) {
    const earlier = merged.get(name);
    if (!verified && earlier?.verified) continue;
    // The SDK sends the same traits with every message: an unchanged trait keeps its entry
    // (and its time), so an unchanged record is not written again.
    if (earlier && earlier.verified === verified && JSON.stringify(earlier.value) === JSON.stringify(value)) continue;
    merged.delete(name);
    merged.set(name, { value, verified, at: now });
    changed = true;
  }
  if (!changed) return { record: stored, changed };
  const sizes = new Map<string, number>();
  let bytes = 0;
  for (const [name, trait] of merged) {
    const size = sizeOf(name, trait.value);
    sizes.set(name, size);
    bytes += size;
  }
  const over = () => merged.size > limits.maxKeys || bytes > limits.maxBytes;
  const evict = (name: string) => {
    merged.delete(name);
    bytes -= sizes.get(name)!;
  };
  // Past a cap, the unverified traits go first, oldest first (this request's own new ones last).
  for (const [name, trait] of [...merged]) {
    if (!over()) break;
    if (!trait.verified) evict(name);
  }
  // Still over: what is left is verified. No verified trait is evicted to make room (unverified
  // padding once made a verified request's own write evict its `email`, which the attacker then
  // set): this request's new names are dropped instead.
  for (const name of Object.keys(sent)) {
    if (!over()) break;
    if (!Object.hasOwn(stored, name) && merged.has(name)) evict(name);
  }
  return { record: Object.fromEntries(merged), changed };
}

/** The traits' values by name; only those set by verified requests with `onlyVerified`. */
export function traitValues(record: StoredTraits, onlyVerified = false): Record<string, unknown> {
  const out: [string, unknown][] = [];
  for (const [name, trait] of Object.entries(record)) if (!onlyVerified || trait.verified) out.push([name, trait.value]);
  return Object.fromEntries(out);
}

/** The names of the traits last set by a verified request. */
export function verifiedTraitNames(record: StoredTraits): string[] {
  return Object.keys(record).filter((name) => record[name]!.verified);
}

/** What `respond()` gets of a user's traits: see `RespondContext`. */
export interface RespondTraits {
  traits: Record<string, unknown>;
  claims: Record<string, unknown>;
  clientTraits: Record<string, unknown>;
  verifiedTraits: string[];
}

/**
 * The views of an identity's traits. `identify` answers all client traits with this
 * request's trusted claims over them (unchanged on the wire). `respond()` gets the claims,
 * the client traits and the names of the verified ones apart; its `traits`, kept for
 * existing code, holds for a verified request only the client traits verified requests set
 * (so no unverified write passes as verified), with the claims over them.
 */
export function traitViews(
  record: StoredTraits,
  verified: boolean,
  claims: Record<string, unknown>,
): { answer: Record<string, unknown>; respond: RespondTraits } {
  const clientTraits = traitValues(record);
  return {
    answer: { ...clientTraits, ...claims },
    respond: {
      traits: { ...(verified ? traitValues(record, true) : clientTraits), ...claims },
      claims: { ...claims },
      clientTraits,
      verifiedTraits: verifiedTraitNames(record),
    },
  };
}
