// @vitest-environment happy-dom
// <HaloProvider> never crashes the app over its client's lifecycle: an <Activity> hiding and
// showing it, the app's own shutdown(), an unmount, and a client that ended before a hook met it.
import { Activity, act, createElement, StrictMode, useState, type ReactNode } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHalo, type HaloClient } from '../../src/index.js';
import { HaloProvider, useHalo, useHaloEvent, useIdentityState, useIsOpen, useUnreadCount } from '../../src/react/index.js';
import { API_BASE, createFakeApi, tokenFor, WIDGET_KEY } from '../../../../test/helpers/fake-api.js';

beforeAll(() => {
  (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
});

let root: Root | null = null;
let container: HTMLElement;
afterEach(async () => {
  await act(async () => root?.unmount());
  root = null;
});

/** Every client a hook saw, in order, and the last text the probe rendered. */
const seen: HaloClient[] = [];

function Probe({ label = 'probe' }: { label?: string }): ReactNode {
  const halo = useHalo();
  const { userId, status } = useIdentityState();
  useHaloEvent('message', () => undefined);
  if (halo && !seen.includes(halo)) seen.push(halo);
  return createElement(
    'p',
    { id: label },
    `${label} ${halo ? 'client' : 'none'} ${userId ?? '-'} ${status} ${useIsOpen()} ${useUnreadCount()}`,
  );
}

const options = () => ({ widgetKey: WIDGET_KEY, apiBase: API_BASE, launcher: false, fetch: createFakeApi().fetch });
const text = (id = 'probe') => container.querySelector(`#${id}`)?.textContent;
/** One macrotask: what the previous provider's deferred teardown waited for. */
const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

async function render(element: ReactNode): Promise<void> {
  container = document.createElement('div');
  root = createRoot(container);
  await act(async () => root!.render(element));
}

/** An app that hides and shows the provider in an <Activity>, as Next.js 16 does with a visited page. */
function ActivityApp({ show }: { show: { current?: (visible: boolean) => void } }): ReactNode {
  const [visible, setVisible] = useState(true);
  show.current = setVisible;
  const [held] = useState(options);
  return createElement(Activity, {
    mode: visible ? 'visible' : 'hidden',
    children: createElement(HaloProvider, { options: held }, createElement(Probe)),
  });
}

describe('HaloProvider lifecycle', () => {
  afterEach(() => {
    seen.length = 0;
  });

  it('an <Activity> hidden then shown again keeps the page rendered and starts one new client', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const show: { current?: (visible: boolean) => void } = {};
    await render(createElement(StrictMode, null, createElement(ActivityApp, { show })));
    expect(seen).toHaveLength(1);
    const first = seen[0]!;

    await act(async () => show.current!(false));
    await act(nextTask);
    expect(() => first.open()).toThrow(expect.objectContaining({ code: 'shutdown' }));
    await act(async () => show.current!(true));

    expect(text()).toBe('probe client - anonymous false 0');
    expect(seen).toHaveLength(2);
    // The hooks follow the new client.
    await act(async () => seen[1]!.open());
    expect(text()).toBe('probe client - anonymous true 0');
    expect(errors).not.toHaveBeenCalled();
    errors.mockRestore();
  });

  it("the app's own shutdown() (a logout) is followed by a fresh anonymous client, and a hook mounted after it renders", async () => {
    function App({ more }: { more: boolean }): ReactNode {
      const [held] = useState(() => ({ ...options(), userId: 'u1', userToken: tokenFor('u1') }));
      return createElement(HaloProvider, { options: held }, createElement(Probe), more && createElement(Probe, { label: 'late' }));
    }
    await render(createElement(StrictMode, null, createElement(App, { more: false })));
    expect(text()).toBe('probe client u1 identified false 0');
    const first = seen[0]!;

    await act(async () => first.shutdown());
    await act(async () => root!.render(createElement(StrictMode, null, createElement(App, { more: true }))));

    expect(text('late')).toBe('late client - anonymous false 0');
    expect(text()).toBe('probe client - anonymous false 0');
    expect(seen).toHaveLength(2);
    expect(seen[1]!.getIdentityState().userId).toBeNull();
  });

  it('an unmount destroys the client before the next task, not one task later', async () => {
    await render(createElement(HaloProvider, { options: options() }, createElement(Probe)));
    const destroy = vi.spyOn(seen[0]!, 'destroy');
    act(() => root!.unmount());
    root = null;
    await Promise.resolve();
    expect(destroy).toHaveBeenCalledTimes(1);
  });

  it('keeps one client across StrictMode’s mount–unmount–mount', async () => {
    await render(createElement(StrictMode, null, createElement(HaloProvider, { options: options() }, createElement(Probe))));
    await nextTask();
    expect(seen).toHaveLength(1);
    expect(() => seen[0]!.open()).not.toThrow();
  });

  it('hooks given a client that has already ended keep rendering and subscribe to nothing', async () => {
    const client = createHalo(options());
    client.destroy();
    const on = vi.spyOn(client, 'on');
    await render(createElement(HaloProvider, { client }, createElement(Probe)));
    expect(text()).toBe('probe client - anonymous false 0');
    // Tried once per subscription, then known to be dead.
    await act(async () => root!.render(createElement(HaloProvider, { client }, createElement(Probe, { label: 'again' }))));
    expect(text('again')).toBe('again client - anonymous false 0');
    expect(on.mock.calls.length).toBeLessThanOrEqual(1);
  });
});
