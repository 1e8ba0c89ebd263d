// Stands in for your auth: the signed-in user, as your backend reports it (undefined while
// loading or signed out). Replace with your auth library's hook.
import { useEffect, useState } from 'react';

export interface SessionUser {
  id: string;
  name: string;
  email: string;
}

export function useSessionUser(): SessionUser | undefined {
  const [user, setUser] = useState<SessionUser | undefined>();
  useEffect(() => {
    const controller = new AbortController();
    fetch('/api/me', { credentials: 'include', signal: controller.signal })
      .then(async (r) => setUser(r.ok ? ((await r.json()) as SessionUser) : undefined))
      .catch((error: unknown) => {
        if (!controller.signal.aborted) console.error('session lookup failed', error);
      });
    return () => controller.abort();
  }, []);
  return user;
}
