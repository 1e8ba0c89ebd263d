// The React app of test/e2e/react.test.ts, bundled by esbuild once per React version.
// `window.__config` (set by the page) says which project and user; `window.__app` lets
// the test drive it; `window.__seen` records what the test asserts on.
import * as React from 'react';
import { StrictMode, useEffect, useState, version } from 'react';
import { HaloProvider, useHalo, useHaloEvent, useHaloStatus, useIdentityState, useIsOpen, useUnreadCount } from 'halo-widget/react';

// React 19.2+ only; read off the namespace so React 18's bundle builds too.
const { Activity } = React;

const seen = { version, clients: new Set(), renders: 0, messages: [], errors: [] };
if (typeof window !== 'undefined') window.__seen = seen;

function Status() {
  const halo = useHalo();
  const identity = useIdentityState();
  const open = useIsOpen();
  const unread = useUnreadCount();
  const { error } = useHaloStatus();
  useHaloEvent('message', (message) => seen.messages.push(`${message.role}: ${message.text}`));
  if (typeof window !== 'undefined') seen.renders++;
  useEffect(() => {
    if (!halo) return;
    seen.clients.add(halo);
    window.__halo = halo;
  }, [halo]);
  return (
    <p
      id="status"
      data-ready={halo ? 'yes' : 'no'}
      data-user={identity.userId ?? ''}
      data-status={identity.status}
      data-open={String(open)}
      data-unread={unread}
      data-error={error?.code ?? ''}
    >
      {identity.userId ?? 'anonymous'}
    </p>
  );
}

/** A component with Halo hooks mounted late, after the app may have shut its client down. */
function Late() {
  const identity = useIdentityState();
  useHaloEvent('identity', () => undefined);
  return <p id="late">{identity.status}</p>;
}

export function App({ config }) {
  const [user, setUser] = useState(config.user ?? null);
  const [mount, setMount] = useState(0);
  const [hidden, setHidden] = useState(false);
  const [late, setLate] = useState(false);
  useEffect(() => {
    window.__app = { setUser, remount: () => setMount((n) => n + 1), setHidden, showLate: () => setLate(true) };
  }, []);
  const options = {
    // `null` in the page's config stands for an unset environment variable.
    widgetKey: config.widgetKey ?? undefined,
    apiBase: config.apiBase,
    userId: user?.id,
    userToken: user?.token,
    userTraits: user ? { name: user.name } : undefined,
    onError: (error) => seen.errors.push(error.code),
  };
  const chat = (
    <HaloProvider key={mount} options={options}>
      <Status />
      {late && <Late />}
    </HaloProvider>
  );
  return (
    <main>
      <h1>React app</h1>
      {Activity ? <Activity mode={hidden ? 'hidden' : 'visible'}>{chat}</Activity> : chat}
    </main>
  );
}

export function Root({ config }) {
  return (
    <StrictMode>
      <App config={config} />
    </StrictMode>
  );
}
