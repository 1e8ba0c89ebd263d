// <HaloProvider> under server rendering: children only, no client, no browser global touched.
import { createElement } from 'react';
import { renderToString } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { HaloProvider, useHalo, useIdentityState, useIsOpen, useUnreadCount } from '../../src/react/index.js';

function Probe() {
  const halo = useHalo();
  const { status } = useIdentityState();
  return createElement('p', null, `${halo === null ? 'no client' : 'client'} ${status} ${useIsOpen()} ${useUnreadCount()}`);
}

describe('HaloProvider on the server', () => {
  it('renders its children with the server values and touches no window, document or storage', () => {
    const touched: string[] = [];
    const traps = ['window', 'document', 'localStorage', 'sessionStorage'] as const;
    const saved = traps.map((name) => Object.getOwnPropertyDescriptor(globalThis, name));
    for (const name of traps) {
      Object.defineProperty(globalThis, name, {
        configurable: true,
        get() {
          touched.push(name);
          return undefined;
        },
      });
    }
    let html: string;
    try {
      const options = { widgetKey: 'ab_test_ssr', apiBase: 'https://halo.example.com', userId: 'u1', launcher: true };
      html = renderToString(createElement(HaloProvider, { options }, createElement(Probe)));
    } finally {
      traps.forEach((name, i) => {
        const descriptor = saved[i];
        if (descriptor) Object.defineProperty(globalThis, name, descriptor);
        else delete (globalThis as Record<string, unknown>)[name];
      });
    }
    expect(html).toBe('<p>no client anonymous false 0</p>');
    expect(touched).toEqual([]);
  });

  it('a hook outside a provider throws invalid_request', () => {
    expect(() => renderToString(createElement(Probe))).toThrow(expect.objectContaining({ code: 'invalid_request' }));
  });
});
