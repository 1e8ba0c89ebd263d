import { createElement, useEffect, useInsertionEffect, useRef, useState, type ReactElement, type ReactNode } from 'react';
import { createHalo, type HaloClient, type HaloOptions } from '../index.js';
import { HaloContext } from './halo-context.js';

/** Props of {@link HaloProvider}. */
export interface HaloProviderProps {
  /**
   * The client's options. A change of `userId`, `userToken` or `userTraits` is an
   * `identify()` on the same client; `userId` becoming `undefined` is a logout (`shutdown()`,
   * then a new anonymous client); a change of `widgetKey` or `apiBase` makes a new client.
   * Callbacks (`getUserToken`, `onError`, `onIdentityExpired`) may change on every render:
   * the latest is called. Other options are read when the client is made.
   */
  options: HaloOptions;
  children?: ReactNode;
}

/** What the provider owns, kept across StrictMode's simulated unmount and remount. */
interface Held {
  client: HaloClient;
  /** The project the client speaks to; another one needs another client. */
  project: string;
  /** The identity the client was last given, as `userId`, `userToken`, traits JSON. */
  identity: string;
  /** A destroy scheduled by an unmount, cancelled if the provider mounts again. */
  pending: ReturnType<typeof setTimeout> | undefined;
}

const identityOf = ({ userId, userToken, userTraits }: HaloOptions): string => JSON.stringify([userId, userToken, userTraits]);

/** Failures of background identify calls already reached `onError`: nothing more to do. */
const reported = (): void => undefined;

/** The options given to `createHalo`: the app's callbacks, always called at their latest. */
function clientOptions(latest: { current: HaloOptions }): HaloOptions {
  const options = latest.current;
  const { getUserToken } = options;
  return {
    ...options,
    // Only when the app has one: without `getUserToken` the SDK knows it cannot refresh.
    ...(getUserToken && {
      getUserToken: (...args: Parameters<typeof getUserToken>) => (latest.current.getUserToken ?? getUserToken)(...args),
    }),
    onError: (error) => latest.current.onError?.(error),
    onIdentityExpired: (event) => latest.current.onIdentityExpired?.(event),
  };
}

/**
 * Starts one Halo client for the tree below and gives it to the hooks ({@link useHalo},
 * {@link useIdentityState}, …). Renders only its children: nothing on the server, where no
 * client is made and `window` is never touched. Under StrictMode's mount–unmount–mount it
 * keeps one client (one `identify`, one widget); a real unmount calls `destroy()`, which
 * keeps the visitor id and conversation for the next provider.
 */
export function HaloProvider({ options, children }: HaloProviderProps): ReactElement {
  const latest = useRef(options);
  useInsertionEffect(() => {
    latest.current = options;
  });
  const held = useRef<Held | null>(null);
  const [client, setClient] = useState<HaloClient | null>(null);
  const project = JSON.stringify([options.widgetKey, options.apiBase]);
  const identity = identityOf(options);

  useEffect(() => {
    let current = held.current;
    clearTimeout(current?.pending);
    if (current?.project !== project) {
      current?.client.destroy();
      current = { client: createHalo(clientOptions(latest)), project, identity: identityOf(latest.current), pending: undefined };
      held.current = current;
    }
    setClient(current.client);
    const mine = current;
    return () => {
      // Deferred: StrictMode remounts right away and cancels it; a real unmount does not.
      mine.pending = setTimeout(() => {
        if (held.current === mine) held.current = null;
        mine.client.destroy();
      });
    };
  }, [project]);

  useEffect(() => {
    const current = held.current;
    if (!current || current.client !== client || current.identity === identity) return;
    const { userId, userToken, userTraits } = latest.current;
    const wasUser = (JSON.parse(current.identity) as unknown[])[0] !== undefined;
    current.identity = identity;
    if (userId !== undefined) {
      current.client.identify(userId, userTraits, userToken === undefined ? {} : { userToken }).catch(reported);
    } else if (wasUser) {
      // Logout: the SDK's shutdown() forgets the user's token, conversation and visitor id;
      // the next visitor gets a fresh client.
      current.client.shutdown();
      current.client = createHalo(clientOptions(latest));
      setClient(current.client);
    }
  }, [client, identity]);

  return createElement(HaloContext.Provider, { value: client }, children);
}
