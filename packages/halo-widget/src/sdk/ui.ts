import type { ChatMessage, HaloClient, HaloTheme } from '../types.js';

/** What the SDK needs from a mounted launcher + panel. */
export interface WidgetHandle {
  open(): void;
  close(): void;
  /** Removes the host element and everything it owns. */
  destroy(): void;
}

/** What the widget gets besides the public client API. */
export interface WidgetOptions {
  theme: HaloTheme;
  /** `sendMessage` under a given `client_message_id`: a retry keeps the id of its message. */
  send: (text: string, clientMessageId: string) => Promise<ChatMessage>;
  /** A fresh `client_message_id` (the widget imports nothing from the SDK: its chunk stays apart). */
  messageId: () => string;
  /** The user opened or closed the panel in the widget (launcher, close button, Escape). */
  toggled?: (open: boolean) => void;
}

/** Mounts the launcher for a client. Implemented by `src/widget/widget.ts`. */
export type MountWidget = (client: HaloClient, options: WidgetOptions) => WidgetHandle;
