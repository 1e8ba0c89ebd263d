// Stands in for your auth library: the signed-in user of this request, or null. It reads a
// cookie, which is request data: under `cacheComponents` it must be awaited inside <Suspense>
// (the layout) or in a dynamic route handler.
import { cookies } from 'next/headers';

export interface SessionUser {
  id: string;
  name: string;
  email: string;
  plan: string;
}

// Replace with your session store's lookup; this example knows one demo session.
const SESSIONS = new Map<string, SessionUser>([
  ['demo-session', { id: 'demo-user', name: 'Demo User', email: 'demo@example.com', plan: 'pro' }],
]);

export async function currentUser(): Promise<SessionUser | null> {
  const session = (await cookies()).get('session')?.value;
  return (session && SESSIONS.get(session)) || null;
}
