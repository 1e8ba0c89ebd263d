import { useContext } from 'react';
import { HaloError, type HaloClient } from '../index.js';
import { HaloContext } from './halo-context.js';

/**
 * The client of the nearest {@link HaloProvider}, or `null` while there is none yet: on the
 * server and during the first browser render (the client starts in an effect). Call its
 * methods from event handlers and effects: `halo?.open()`.
 * @throws HaloError `invalid_request` outside a `<HaloProvider>`.
 */
export function useHalo(): HaloClient | null {
  const client = useContext(HaloContext);
  if (client === undefined) throw new HaloError('invalid_request', 'useHalo() and the other Halo hooks need a <HaloProvider> above them.');
  return client;
}
