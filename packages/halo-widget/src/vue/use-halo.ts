import { onBeforeUnmount, onMounted, shallowRef, toValue, watch, type MaybeRefOrGetter, type ShallowRef } from 'vue';
import { DEV } from '../dev.js';
import { createHalo, HaloError, isHaloError, type HaloClient, type HaloOptions, type IdentityState } from '../index.js';

/** What {@link useHalo} returns: refs that follow the client, for templates and `watch`. */
export interface UseHalo {
  /** The client, or `null` before mount, on the server, and when the options were refused. */
  client: Readonly<ShallowRef<HaloClient | null>>;
  /** `getIdentityState()`, updated on the `identity` event. */
  identity: Readonly<ShallowRef<IdentityState>>;
  /** Whether the chat panel is open. */
  isOpen: Readonly<ShallowRef<boolean>>;
  /** Replies that arrived while the panel was closed. */
  unread: Readonly<ShallowRef<number>>;
  /** Why no client started (`invalid_options`, `secret_exposed`), else `null`. */
  error: Readonly<ShallowRef<HaloError | null>>;
}

const ANONYMOUS: IdentityState = Object.freeze({ userId: null, status: 'anonymous', verified: null, tokenExpiresAt: null });

/** A value as a comparable string; never throws (cyclic or BigInt traits). */
function keyOf(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch (error) {
    // The same string each time, so the watchers settle; createHalo then refuses the option.
    return String(error);
  }
}

/**
 * One Halo client for a component, started when it mounts and destroyed when it unmounts
 * (`destroy()` keeps the visitor id for the next client). `options` may be a ref or a getter:
 * a change of `userId`, `userToken` or `userTraits` is an `identify()`; `userId` becoming
 * `undefined` is a logout (`shutdown()`, then a fresh anonymous client); a change of
 * `widgetKey` or `apiBase` makes a new client. Options the SDK refuses start no client and
 * never throw: the error goes to `onError`, the console in development, and `error`.
 * `onError` and `onIdentityExpired` are read when called, so they may change.
 */
export function useHalo(options: MaybeRefOrGetter<HaloOptions>): UseHalo {
  const client = shallowRef<HaloClient | null>(null);
  const identity = shallowRef(ANONYMOUS);
  const isOpen = shallowRef(false);
  const unread = shallowRef(0);
  const error = shallowRef<HaloError | null>(null);
  const current = (): HaloOptions => toValue(options) ?? ({} as HaloOptions);
  let offs: Array<() => void> = [];

  const start = (): void => {
    const given = current();
    try {
      const made = createHalo({
        ...given,
        onError: (failure) => current().onError?.(failure),
        onIdentityExpired: (event) => current().onIdentityExpired?.(event),
      });
      identity.value = made.getIdentityState();
      isOpen.value = made.isOpen();
      unread.value = made.getUnreadCount();
      offs = [
        made.on('identity', (state) => (identity.value = state)),
        made.on('open', () => (isOpen.value = true)),
        made.on('close', () => (isOpen.value = false)),
        made.on('unread', (count) => (unread.value = count)),
      ];
      client.value = made;
      error.value = null;
    } catch (thrown) {
      // createHalo throws HaloErrors only; anything else (a getter of the app's that throws) is kept as the cause.
      const refused = isHaloError(thrown) ? thrown : new HaloError('invalid_options', String(thrown), { cause: thrown });
      if (DEV) console.error('[halo] useHalo() started no client:', refused.code, refused);
      error.value = refused;
      given.onError?.(refused);
    }
  };

  /** Ends the client: `destroy()` for a teardown, `shutdown()` for a logout. */
  const end = (how: 'destroy' | 'shutdown'): void => {
    offs.forEach((off) => off());
    offs = [];
    client.value?.[how]();
    client.value = null;
  };

  onMounted(() => {
    start();
    watch(
      () => keyOf([current().widgetKey, current().apiBase]),
      () => {
        end('destroy');
        start();
      },
    );
    // After a refusal, any other options are worth another attempt.
    watch(
      () => error.value && keyOf(current()),
      (now, before) => {
        if (now && before) start();
      },
    );
    watch(
      () => {
        const { userId, userToken, userTraits } = current();
        return keyOf([userId, userToken, userTraits]);
      },
      () => {
        const halo = client.value;
        if (!halo) return;
        const { userId, userToken, userTraits } = current();
        if (userId !== undefined) {
          // Failures already reached onError and the `error` event.
          halo.identify(userId, userTraits, userToken === undefined ? {} : { userToken }).catch(() => undefined);
        } else if (identity.value.userId !== null) {
          // Logout: shutdown() forgets the user's token, conversation and visitor id; the next
          // visitor gets a fresh client.
          end('shutdown');
          start();
        }
      },
    );
  });
  onBeforeUnmount(() => end('destroy'));

  return { client, identity, isOpen, unread, error };
}
