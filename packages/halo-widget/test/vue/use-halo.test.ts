// @vitest-environment happy-dom
// halo-widget/vue: useHalo() starts a client on mount, its refs follow it, a user change in
// the options identifies, and an unmount destroys it; refused options never throw.
import { createApp, defineComponent, h, nextTick, ref, type App } from 'vue';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HaloError, HaloOptions } from '../../src/index.js';
import { useHalo, type UseHalo } from '../../src/vue/index.js';
import { API_BASE, createFakeApi, tokenFor, WIDGET_KEY } from '../../../../test/helpers/fake-api.js';

let app: App | null = null;
afterEach(() => {
  app?.unmount();
  app = null;
  vi.restoreAllMocks();
});

/** Mounts a component that calls useHalo(options) and renders its refs. */
function mount(options: () => HaloOptions): { halo: UseHalo; el: HTMLElement } {
  let halo: UseHalo | undefined;
  const el = document.createElement('div');
  app = createApp(
    defineComponent({
      setup() {
        halo = useHalo(options);
        return () =>
          h('p', `${halo!.identity.value.userId ?? '-'} ${halo!.identity.value.status} ${halo!.isOpen.value} ${halo!.unread.value}`);
      },
    }),
  );
  app.mount(el);
  return { halo: halo!, el };
}

const base = (api = createFakeApi()): HaloOptions => ({ widgetKey: WIDGET_KEY, apiBase: API_BASE, launcher: false, fetch: api.fetch });

describe('useHalo (Vue)', () => {
  it('starts a client on mount whose refs follow it, and destroys it on unmount', async () => {
    const { halo, el } = mount(() => base());
    const client = halo.client.value!;
    expect(client).not.toBeNull();
    client.open();
    await nextTick();
    expect(el.textContent).toBe('- anonymous true 0');
    const destroy = vi.spyOn(client, 'destroy');
    app!.unmount();
    app = null;
    expect(destroy).toHaveBeenCalledTimes(1);
    expect(halo.client.value).toBeNull();
  });

  it('a user in the options is identified on the same client; no user any more is a logout and a fresh client', async () => {
    const api = createFakeApi();
    const user = ref<string | undefined>(undefined);
    const { halo, el } = mount(() => ({ ...base(api), userId: user.value, userToken: user.value && tokenFor(user.value) }));
    const first = halo.client.value!;
    user.value = 'u1';
    await vi.waitFor(() => expect(el.textContent).toBe('u1 identified false 0'));
    expect(halo.client.value).toBe(first);
    const shutdown = vi.spyOn(first, 'shutdown');
    user.value = undefined;
    await nextTick();
    expect(shutdown).toHaveBeenCalledTimes(1);
    expect(halo.client.value).not.toBe(first);
    expect(el.textContent).toBe('- anonymous false 0');
  });

  it('options the SDK refuses start no client, never throw, and are reported once; fixed options start one', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const onError = vi.fn<(error: HaloError) => void>();
    const key = ref<string | undefined>(undefined);
    const { halo, el } = mount(() => ({ ...base(), widgetKey: key.value as string, onError }));
    expect(el.textContent).toBe('- anonymous false 0');
    expect(halo.client.value).toBeNull();
    expect(halo.error.value).toMatchObject({ code: 'invalid_options' });
    expect(onError).toHaveBeenCalledTimes(1);
    expect(errors).toHaveBeenCalledTimes(1);
    key.value = WIDGET_KEY;
    await nextTick();
    expect(halo.client.value).not.toBeNull();
    expect(halo.error.value).toBeNull();
  });

  it('after a refusal, another value of any option is another attempt', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const position = ref('middle');
    const { halo } = mount(() => ({ ...base(), theme: { position: position.value as 'left' } }));
    expect(halo.error.value).toMatchObject({ code: 'invalid_options' });
    position.value = 'left';
    await nextTick();
    expect(halo.error.value).toBeNull();
    expect(halo.client.value).not.toBeNull();
  });
});
