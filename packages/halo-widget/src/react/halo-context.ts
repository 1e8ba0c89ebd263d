import { createContext } from 'react';
import type { HaloClient, HaloError } from '../index.js';

/** What a {@link HaloProvider} gives the hooks. */
export interface HaloView {
  /** `null` before the client exists (server, first render), while disabled, and after a failed start. */
  client: HaloClient | null;
  /** Why the client could not start (bad options), else `null`. */
  error: HaloError | null;
}

/** No client (yet), no error: also the server's and the first browser render's view. */
export const NO_CLIENT: HaloView = { client: null, error: null };

/** The provider's view; `undefined` outside a {@link HaloProvider}. */
export const HaloContext = createContext<HaloView | undefined>(undefined);
