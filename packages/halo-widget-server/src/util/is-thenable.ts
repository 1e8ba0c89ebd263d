/**
 * Whether a store's or `respond`'s result must be awaited. A plain value is used at once:
 * `isThenable(x) ? await x : x` spares the hot path an await turn per step.
 */
export function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}
