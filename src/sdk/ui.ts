import type { HaloClient, HaloTheme } from '../types.js';

/** What the SDK needs from a mounted launcher + panel. */
export interface WidgetHandle {
  open(): void;
  close(): void;
  /** Removes the host element and everything it owns. */
  destroy(): void;
}

/** Mounts the launcher for a client. Implemented by `src/widget/widget.ts`. */
export type MountWidget = (client: HaloClient, options: { theme: HaloTheme }) => WidgetHandle;
