import { signUserToken } from 'halo-widget/server';
import { currentUser } from '@/lib/auth';

export async function GET() {
  const user = await currentUser();
  if (!user) return new Response(null, { status: 401 });
  try {
    const token = await signUserToken(
      { user_id: user.id, name: user.name, email: user.email, plan: user.plan },
      process.env.HALO_IDENTITY_SECRET!,
      { expiresIn: '1h' },
    );
    return new Response(token, { headers: { 'Content-Type': 'text/plain', 'Cache-Control': 'no-store' } });
  } catch (error) {
    console.error('halo token endpoint failed', error);
    return new Response(null, { status: 500 });
  }
}
