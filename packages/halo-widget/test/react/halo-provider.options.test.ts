// @vitest-environment happy-dom
// <HaloProvider>'s props other than the identity: refused options never take the app down,
// `enabled` starts and ends the client, `client` uses the app's own; useHaloStatus tells which.
import { act, createElement, StrictMode, type ReactNode } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHalo, type HaloClient, type HaloError, type HaloOptions } from '../../src/index.js';
import { HaloProvider, useHalo, useHaloStatus, useIdentityState, type HaloProviderProps } from '../../src/react/index.js';
import { API_BASE, createFakeApi, WIDGET_KEY } from '../../../../test/helpers/fake-api.js';

beforeAll(() => {
  (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
});

let root: Root | null = null;
let container: HTMLElement;
afterEach(async () => {
  await act(async () => root?.unmount());
  root = null;
  vi.restoreAllMocks();
});

let halo: HaloClient | null = null;

function Probe(): ReactNode {
  halo = useHalo();
  const { ready, error } = useHaloStatus();
  const { status } = useIdentityState();
  return createElement('p', { id: 'probe' }, `ready=${ready} error=${error?.code ?? '-'} ${status}`);
}

/** The app around the provider: its own content must stay on screen whatever the chat does. */
const app = (props: HaloProviderProps) =>
  createElement(StrictMode, null, createElement(HaloProvider, props, createElement('h1', null, 'My product'), createElement(Probe)));

async function render(props: HaloProviderProps): Promise<void> {
  container = document.createElement('div');
  root = createRoot(container);
  await act(async () => root!.render(app(props)));
}

const rerender = (props: HaloProviderProps) => act(async () => root!.render(app(props)));
const text = () => container.textContent;
const good = (): HaloOptions => ({ widgetKey: WIDGET_KEY, apiBase: API_BASE, launcher: false, fetch: createFakeApi().fetch });

describe('HaloProvider with options the SDK refuses', () => {
  it('widgetKey: undefined renders the app, reports invalid_options once (onError and console) and starts no client', async () => {
    const console_ = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const onError = vi.fn<(error: HaloError) => void>();
    // An unset VITE_… / NEXT_PUBLIC_… variable.
    await render({ options: { ...good(), widgetKey: undefined as unknown as string, onError } });
    expect(text()).toBe('My productready=false error=invalid_options anonymous');
    expect(halo).toBeNull();
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError.mock.calls[0]![0]).toMatchObject({ code: 'invalid_options', message: expect.stringContaining('widgetKey') });
    expect(console_).toHaveBeenCalledTimes(1);
    expect(console_.mock.calls[0]![1]).toBe('invalid_options');
    // A re-render with the same (still wrong) options is not another attempt.
    await rerender({ options: { ...good(), widgetKey: undefined as unknown as string, onError } });
    expect(onError).toHaveBeenCalledTimes(1);
  });

  it('a secret passed as the widget key renders the app, reports secret_exposed once and starts no client', async () => {
    const console_ = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const onError = vi.fn<(error: HaloError) => void>();
    const secret = 'ha_secret_0123456789abcdef0123456789abcdef';
    await render({ options: { ...good(), widgetKey: secret, onError } });
    expect(text()).toBe('My productready=false error=secret_exposed anonymous');
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError.mock.calls[0]![0]).toMatchObject({ code: 'secret_exposed' });
    // One console line: the core's development build explains the secret; the provider adds none.
    expect(console_.mock.calls).toEqual([[expect.stringContaining('secret_exposed: never ship the identity secret')]]);
    expect(JSON.stringify(console_.mock.calls) + String(onError.mock.calls[0]![0].message)).not.toContain(secret);
  });

  it('options fixed after a refusal start the client and clear the error', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    await render({ options: { ...good(), theme: { position: 'middle' as 'left' } } });
    expect(text()).toBe('My productready=false error=invalid_options anonymous');
    await rerender({ options: good() });
    expect(text()).toBe('My productready=true error=- anonymous');
  });
});

describe('HaloProvider enabled', () => {
  it('false starts no client while the hooks keep working; true starts one; false again ends it', async () => {
    await render({ options: good(), enabled: false });
    expect(text()).toBe('My productready=false error=- anonymous');
    expect(halo).toBeNull();

    await rerender({ options: good(), enabled: true });
    expect(text()).toBe('My productready=true error=- anonymous');
    const started = halo!;

    await rerender({ options: good(), enabled: false });
    expect(text()).toBe('My productready=false error=- anonymous');
    expect(() => started.open()).toThrow(expect.objectContaining({ code: 'shutdown' }));
  });
});

describe('HaloProvider client', () => {
  it("uses the app's client from the first render, and leaves it running after an unmount", async () => {
    const client = createHalo(good());
    await render({ client });
    expect(halo).toBe(client);
    expect(text()).toBe('My productready=true error=- anonymous');
    await act(async () => root!.unmount());
    root = null;
    expect(() => client.open()).not.toThrow();
    client.destroy();
  });
});
