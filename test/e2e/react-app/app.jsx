// The React app of test/e2e/react.test.ts, bundled by esbuild once per React version.
// `window.__config` (set by the page) says which project and user; `window.__app` lets
// the test drive it; `window.__seen` records what the test asserts on.
import { StrictMode, useEffect, useState, version } from 'react';
import { HaloProvider, useHalo, useHaloEvent, useIdentityState, useIsOpen, useUnreadCount } from 'halo-widget/react';

const seen = { version, clients: new Set(), renders: 0, messages: [] };
if (typeof window !== 'undefined') window.__seen = seen;

function Status() {
  const halo = useHalo();
  const identity = useIdentityState();
  const open = useIsOpen();
  const unread = useUnreadCount();
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
    >
      {identity.userId ?? 'anonymous'}
    </p>
  );
}

export function App({ config }) {
  const [user, setUser] = useState(config.user ?? null);
  const [mount, setMount] = useState(0);
  useEffect(() => {
    window.__app = { setUser, remount: () => setMount((n) => n + 1) };
  }, []);
  const options = {
    widgetKey: config.widgetKey,
    apiBase: config.apiBase,
    userId: user?.id,
    userToken: user?.token,
    userTraits: user ? { name: user.name } : undefined,
  };
  return (
    <main>
      <h1>React app</h1>
      <HaloProvider key={mount} options={options}>
        <Status />
      </HaloProvider>
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
