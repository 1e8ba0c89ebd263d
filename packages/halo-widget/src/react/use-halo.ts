import { useContext } from 'react';
import { HaloError, type HaloClient } from '../index.js';
import { HaloContext, type HaloView } from './halo-context.js';

/** The nearest provider's view. @throws HaloError `invalid_request` outside a `<HaloProvider>`. */
export function useHaloView(): HaloView {
  const view = useContext(HaloContext);
  if (!view) throw new HaloError('invalid_request', 'useHalo() and the other Halo hooks need a <HaloProvider> above them.');
  return view;
}

/**
 * The client of the nearest {@link HaloProvider}, or `null` while there is none: on the
 * server, during the first browser render (the client starts in an effect), while the
 * provider is disabled, and when its options were refused. Call its methods from event
 * handlers and effects: `halo?.open()`.
 * @throws HaloError `invalid_request` outside a `<HaloProvider>`.
 */
export function useHalo(): HaloClient | null {
  return useHaloView().client;
}
