import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HeaderList } from '../http/http.js';
import type { Body } from '../http/parse-request.js';
import type { Identity } from '../identity/check-identity.js';
import type { SupportStore } from '../store/conversation-model.js';
import type { HaloApiConfig, HaloLogger } from '../types.js';
import { channelCall } from './channel-call.js';
import { createChannelHub, type ChannelHub } from './channel-hub.js';
import { resolveChannelLimits } from './channel-limits.js';

/** The live channel of one API: its hub and its call. */
export interface Channels {
  hub: ChannelHub;
  call(who: Identity, body: Body, token: string | undefined, req: IncomingMessage, res: ServerResponse, headers: HeaderList): Promise<void>;
}

/** Whether a store also implements the support side's contract (notifier and cursor reads). */
function isSupportStore(store: unknown): store is SupportStore {
  const s = store as Partial<SupportStore> | null;
  return !!s && typeof s.readMessages === 'function' && typeof s.getSummary === 'function' && typeof s.notifier?.subscribe === 'function';
}

/**
 * The live channel where the API has a {@link SupportStore} (`config.supportStore`, else the
 * conversation store when it is one); null otherwise, and `/api/sdk/channel` is then a 404.
 */
export function openChannels(config: HaloApiConfig, store: unknown, logger: HaloLogger): Channels | null {
  const support = config.supportStore ?? (isSupportStore(store) ? store : null);
  if (!support) return null;
  const limits = resolveChannelLimits(config.channel);
  const hub = createChannelHub(support, limits, logger);
  const settings = { store: support, hub, limits, trustProxy: config.trustProxy };
  return { hub, call: (who, body, token, req, res, headers) => channelCall(settings, who, body, token, req, res, headers) };
}
