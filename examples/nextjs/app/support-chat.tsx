'use client';
import { HaloProvider } from 'halo-widget/react';
import type { ReactNode } from 'react';

export function SupportChat({ userId, name, children }: { userId?: string; name?: string; children: ReactNode }) {
  return (
    <HaloProvider
      options={{
        widgetKey: process.env.NEXT_PUBLIC_HALO_WIDGET_KEY!,
        apiBase: process.env.NEXT_PUBLIC_HALO_API!,
        userId,
        userTraits: name ? { name } : undefined,
        getUserToken: async ({ signal }) => {
          const r = await fetch('/api/halo-token', { credentials: 'include', signal });
          if (!r.ok) throw new Error('token endpoint ' + r.status);
          return r.text();
        },
      }}
    >
      {children}
    </HaloProvider>
  );
}
