// `halo-widget/react`: the React binding. React ≥ 18 is an optional peer dependency.
export { HaloProvider } from './halo-provider.js';
export type { HaloProviderProps } from './halo-provider.js';
export { useHalo } from './use-halo.js';
export { useHaloStatus } from './use-halo-status.js';
export type { HaloStatus } from './use-halo-status.js';
export { useIdentityState } from './use-identity-state.js';
export { useHaloEvent } from './use-halo-event.js';
export { useIsOpen, useUnreadCount } from './use-panel-state.js';
