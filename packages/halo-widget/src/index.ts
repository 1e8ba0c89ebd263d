export { createHalo } from './sdk/client.js';
export { Halo } from './sdk/singleton.js';
export type { HaloFacade } from './sdk/singleton.js';
export { HaloError, isHaloError } from './errors.js';
export type { HaloErrorCode } from './errors.js';
export type {
  CancelledReason,
  ChatMessage,
  GetUserTokenContext,
  HaloClient,
  HaloEventMap,
  HaloEventName,
  HaloOptions,
  HaloTheme,
  HistoryOptions,
  HistoryPage,
  IdentifyOptions,
  IdentityExpiredEvent,
  IdentityExpiredReason,
  IdentityState,
  IdentityStatus,
  PendingMessage,
  PendingState,
  SendOptions,
  TokenRejectionReason,
  UserTraits,
} from './types.js';
