import { HaloProvider } from 'halo-widget/react';
import { HelpButton } from './HelpButton';
import { useSessionUser } from './session';

export function App() {
  const user = useSessionUser();
  return (
    <HaloProvider
      options={{
        widgetKey: import.meta.env.VITE_HALO_WIDGET_KEY,
        apiBase: import.meta.env.VITE_HALO_API,
        userId: user?.id,
        userTraits: user && { name: user.name, email: user.email },
        getUserToken: async ({ signal }) => {
          const r = await fetch('/api/halo-token', { credentials: 'include', signal });
          if (!r.ok) throw new Error('token endpoint ' + r.status);
          return r.text();
        },
        onIdentityExpired: () => location.assign('/login'),
      }}
    >
      <main>
        <h1>Your app</h1>
        <HelpButton />
      </main>
    </HaloProvider>
  );
}
