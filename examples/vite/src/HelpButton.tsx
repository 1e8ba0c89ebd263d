import { useHalo, useIsOpen, useUnreadCount } from 'halo-widget/react';

export function HelpButton() {
  const halo = useHalo();
  const open = useIsOpen();
  const unread = useUnreadCount();
  return (
    <button type="button" disabled={!halo} onClick={() => (open ? halo?.close() : halo?.open())}>
      Help{unread > 0 && ` (${unread})`}
    </button>
  );
}
