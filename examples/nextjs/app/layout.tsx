import { Suspense, type ReactNode } from 'react';
import { currentUser } from '@/lib/auth';
import { SupportChat } from './support-chat';

// The session is request data: read it in a component under <Suspense>.
async function SignedInSupportChat({ children }: { children: ReactNode }) {
  const user = await currentUser();
  return (
    <SupportChat userId={user?.id} name={user?.name}>
      {children}
    </SupportChat>
  );
}

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <Suspense>
          <SignedInSupportChat>{children}</SignedInSupportChat>
        </Suspense>
      </body>
    </html>
  );
}
