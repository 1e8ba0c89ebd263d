import {
  createElement,
  useEffect,
  useInsertionEffect,
  useMemo,
  useReducer,
  useRef,
  useState,
  type ReactElement,
  type ReactNode,
} from 'react';
import { DEV } from '../dev.js';
import { createHalo, HaloError, isHaloError, type HaloClient, type HaloOptions } from '../index.js';
import { HaloContext, NO_CLIENT, type HaloView } from './halo-context.js';
import { ended } from './listen.js';

/** Props of {@link HaloProvider}. */
export interface HaloProviderProps {
  /**
   * The client's options. A change of `userId`, `userToken` or `userTraits` is an
   * `identify()` on the same client; `userId` becoming `undefined` is a logout (`shutdown()`,
   * then a new anonymous client); a change of `widgetKey` or `apiBase` makes a new client.
   * Callbacks (`getUserToken`, `onError`, `onIdentityExpired`) may change on every render:
   * the latest is called. Other options are read when the client is made. Options the SDK
   * refuses start no client: the error goes to `onError` (and the console in development)
   * and to {@link useHaloStatus}, and the children still render.
   */
  options?: HaloOptions;
  /**
   * `false` starts no client (and ends a running one): for consent or a feature flag. The
   * hooks keep working meanwhile, with their values for "no client".
   * @default true
   */
  enabled?: boolean;
  /**
   * A client made by the app (a test's stub, a client shared with non-React code), used
   * instead of one made from `options`. The app owns it: the provider never identifies,
   * ends nor replaces it.
   */
  client?: HaloClient;
  children?: ReactNode;
}

/** What the provider owns, kept across StrictMode's simulated unmount and remount. */
interface Held {
  /** Its client, or why there is none (the options were refused); the context's value. */
  view: HaloView;
  /** The project the client speaks to; another one needs another client. */
  project: string;
  /** All the options it was made from: after a refusal, only other ones are tried again. */
  settings: string;
  /** The identity the client was last given, as `userId`, `userToken`, traits. */
  identity: string;
  /** An end scheduled by a cleanup, called off if the effect runs again first. */
  closing: boolean;
}

/** A value as a comparable string; never throws in render (cyclic or BigInt traits). */
function keyOf(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch (error) {
    // The same string on every render, so nothing loops; createHalo then refuses the option.
    return String(error);
  }
}

const identityOf = ({ userId, userToken, userTraits }: HaloOptions): string => keyOf([userId, userToken, userTraits]);

/** Failures of background identify calls already reached `onError`: nothing more to do. */
const reported = (): void => undefined;

/** Ends a client of the provider's; the hooks that still see it keep their last values. */
function end(client: HaloClient | null | undefined): void {
  if (!client) return;
  ended.add(client);
  client.destroy();
}

/** The options given to `createHalo`: the app's callbacks, always called at their latest. */
function clientOptions(latest: { current: HaloOptions }, anonymous: boolean): HaloOptions {
  const options = latest.current;
  const { getUserToken } = options;
  return {
    ...options,
    ...(anonymous && { userId: undefined, userToken: undefined, userTraits: undefined }),
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
 * {@link useIdentityState}, …). Renders only its children, always: nothing on the server,
 * where no client is made and `window` is never touched, and nothing else when its options
 * are refused. Under StrictMode's mount–unmount–mount it keeps one client (one `identify`,
 * one widget); a real unmount, or an `<Activity>` hiding it, calls `destroy()` (which keeps
 * the visitor id and conversation for the next client) before the next task; shown again,
 * it starts a new client. A client the app shuts down (`useHalo()?.shutdown()`, a logout) is
 * replaced by a fresh anonymous one, as when `userId` goes `undefined`.
 */
export function HaloProvider({ options, enabled = true, client: external, children }: HaloProviderProps): ReactElement {
  const given = options ?? ({} as HaloOptions);
  const latest = useRef(given);
  useInsertionEffect(() => {
    latest.current = given;
  });
  const held = useRef<Held | null>(null);
  const [view, setView] = useState(NO_CLIENT);
  const [shutdowns, shutDown] = useReducer((count: number) => count + 1, 0);
  const own = enabled && !external;
  const project = keyOf([given.widgetKey, given.apiBase]);
  const identity = identityOf(given);
  // Only after a refusal: any change of the options is then worth another attempt.
  const retry = view.error ? keyOf(given) : '';

  useEffect(() => {
    if (!own) return;
    let mine = held.current;
    if (mine) mine.closing = false;
    const client = mine?.view.client;
    if (mine?.project !== project || (client ? ended.has(client) : mine.settings !== keyOf(latest.current))) {
      end(client);
      // A client of this project that has ended while held was shut down by the app (a
      // logout): the next one is anonymous.
      held.current = mine = start(!!client && mine?.project === project);
    }
    setView(mine.view);
    return () => {
      mine.closing = true;
      // A microtask, not a timer: StrictMode's simulated unmount mounts again synchronously and
      // calls it off, while a real unmount (Testing Library's cleanup) or a hidden <Activity>
      // removes the widget before the next task.
      queueMicrotask(() => {
        if (!mine.closing) return;
        if (held.current === mine) {
          held.current = null;
          // No dead client in context: an <Activity> shown again renders with none first.
          setView(NO_CLIENT);
        }
        end(mine.view.client);
      });
    };

    function start(anonymous: boolean): Held {
      const options = latest.current;
      const made = { project, settings: keyOf(options), identity: identityOf(options), closing: false };
      try {
        const client = createHalo(clientOptions(latest, anonymous));
        const shutdown = client.shutdown.bind(client);
        // The client gives no event after shutdown(), so the provider hears of the app's own
        // logout here, and replaces the client (the effect above).
        client.shutdown = () => {
          const already = ended.has(client);
          ended.add(client);
          shutdown();
          if (!already) shutDown();
        };
        return { ...made, view: { client, error: null } };
      } catch (error) {
        // createHalo throws HaloErrors only; anything else (a getter of the app's that throws) is kept as the cause.
        const refused = isHaloError(error) ? error : new HaloError('invalid_options', String(error), { cause: error });
        // Told once: onError, and the console in development — where the core's development
        // build has already explained a refused secret (hintThrow), so that one is not repeated.
        if (DEV && refused.code !== 'secret_exposed') console.error('[halo] <HaloProvider> started no client:', refused.code, refused);
        options.onError?.(refused);
        return { ...made, view: { client: null, error: refused } };
      }
    }
    // `retry` and `shutdowns` only say when to look again; the effect reads the rest.
  }, [own, project, retry, shutdowns]);

  useEffect(() => {
    const current = held.current;
    const client = current?.view.client;
    if (!client || client !== view.client || current.identity === identity) return;
    current.identity = identity;
    const { userId, userToken, userTraits } = latest.current;
    if (userId !== undefined) {
      client.identify(userId, userTraits, userToken === undefined ? {} : { userToken }).catch(reported);
    } else if (client.getIdentityState().userId !== null) {
      // Logout: the SDK's shutdown() forgets the user's token, conversation and visitor id;
      // the effect above then gives the next visitor a fresh client.
      client.shutdown();
    }
  }, [view, identity]);

  const value = useMemo(() => (external ? { client: external, error: null } : own ? view : NO_CLIENT), [external, own, view]);
  return createElement(HaloContext.Provider, { value }, children);
}
