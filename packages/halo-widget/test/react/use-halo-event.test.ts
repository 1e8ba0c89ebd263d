// @vitest-environment happy-dom
// useHaloEvent keeps the handler in a ref: a re-render with a new inline handler does not
// subscribe again, and the event reaches the latest handler, once.
import { act, createElement, type ReactNode } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { HaloClient } from '../../src/index.js';
import { HaloProvider, useHalo, useHaloEvent } from '../../src/react/index.js';
import { API_BASE, createFakeApi, WIDGET_KEY } from '../../../../test/helpers/fake-api.js';

beforeAll(() => {
  (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
});

let root: Root | null = null;
afterEach(async () => {
  await act(async () => root?.unmount());
  root = null;
});

describe('useHaloEvent', () => {
  it('calls the latest handler, once per event, without subscribing again on re-render', async () => {
    const api = createFakeApi();
    const options = { widgetKey: WIDGET_KEY, apiBase: API_BASE, launcher: false, fetch: api.fetch };
    const seen: string[] = [];
    let client: HaloClient | null = null;
    function Listener({ label }: { label: string }): ReactNode {
      useHaloEvent('message', (message) => seen.push(`${label}: ${message.text}`));
      client = useHalo();
      return null;
    }
    const render = (label: string) => createElement(HaloProvider, { options }, createElement(Listener, { label }));

    root = createRoot(document.createElement('div'));
    await act(async () => root!.render(render('first')));
    expect(client).not.toBeNull();
    const on = vi.spyOn(client!, 'on');
    await act(async () => root!.render(render('second')));
    await act(async () => root!.render(render('third')));
    expect(on).not.toHaveBeenCalled();

    await act(async () => {
      await client!.sendMessage('hi');
    });
    expect(seen).toEqual(['third: hi', 'third: echo: hi']);
  });
});
