import { createContext } from 'react';
import type { HaloClient } from '../index.js';

/**
 * The provider's client: `undefined` outside a {@link HaloProvider}, `null` inside one
 * before its client exists (server rendering, the first browser render).
 */
export const HaloContext = createContext<HaloClient | null | undefined>(undefined);
