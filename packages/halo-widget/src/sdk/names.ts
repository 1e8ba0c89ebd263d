// The names the SDK gives to browser-shared resources, built in one place so the visitor
// id, the cross-tab channel and the refresh lock of one widget key can never disagree.

/** BroadcastChannel of the tabs of one widget key (tokens are shared in memory only). */
export const channelName = (widgetKey: string): string => `halo:${widgetKey}`;

/** localStorage key of the anonymous visitor id. */
export const visitorKey = (widgetKey: string): string => `${channelName(widgetKey)}:visitor`;

/** Web Lock that tabs of one widget key and user take turns on to refresh. */
export const refreshLockName = (widgetKey: string, userId: string): string => `${channelName(widgetKey)}:${userId}:refresh`;
