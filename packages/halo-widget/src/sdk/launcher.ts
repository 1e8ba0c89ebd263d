import { DEV } from '../dev.js';
import { networkError, type HaloError } from '../errors.js';
import type { HaloClient } from '../types.js';
import type { WidgetHandle, WidgetOptions } from './ui.js';

/** `launcher: true` outside a browser (server rendering, Node): warned about once per process, then ignored. */
let warnedNoDom = false;

/**
 * Loads the widget chunk and mounts the launcher for `client`. The chunk is a dynamic import,
 * so the core stays small; outside a browser nothing is loaded. `mounted` is not called once
 * `ended()` says the client was shut down meanwhile; a chunk that cannot load is `failed`.
 */
export function loadLauncher(
  client: HaloClient,
  options: WidgetOptions,
  hooks: { ended: () => boolean; mounted: (widget: WidgetHandle) => void; failed: (error: HaloError) => void },
): void {
  if (typeof document === 'undefined') {
    if (!warnedNoDom)
      console.warn(DEV ? '[halo] `launcher: true` needs a browser: no launcher is rendered here.' : '[halo] no DOM: no launcher');
    warnedNoDom = true;
    return;
  }
  import('../widget/widget.js').then(
    ({ mountWidget }) => {
      if (!hooks.ended()) hooks.mounted(mountWidget(client, options));
    },
    (cause: unknown) => hooks.failed(networkError('launcher', cause)),
  );
}
