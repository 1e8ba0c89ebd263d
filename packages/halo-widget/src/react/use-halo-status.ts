import type { HaloError } from '../index.js';
import { useHaloView } from './use-halo.js';

/** What {@link useHaloStatus} returns. */
export interface HaloStatus {
  /** A client is running: `useHalo()` is not `null`. */
  ready: boolean;
  /**
   * Why the provider started no client: its options were refused (`invalid_options`,
   * `secret_exposed`). `null` otherwise; errors of a running client go to `onError` and the
   * `error` event.
   */
  error: HaloError | null;
}

/**
 * Whether the provider's client is running, and why not when its options were refused, for
 * a fallback ("Chat is unavailable") instead of a blank page.
 */
export function useHaloStatus(): HaloStatus {
  const { client, error } = useHaloView();
  return { ready: client !== null, error };
}
