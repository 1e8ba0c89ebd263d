import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A reader of one page's static files (the /admin and /inbox pages): from `<dir>/<built>` next
 * to the bundled module once built (scripts/post-build-server.mjs copies them to dist/), else
 * from `<dir>/page` when run from source. Read per request, so a rebuild is served at once.
 */
export function pageFiles(moduleUrl: string, built: string): (file: string) => Buffer | null {
  const here = dirname(fileURLToPath(moduleUrl));
  const dirs = [join(here, built), join(here, 'page')];
  return (file) => {
    for (const dir of dirs) {
      try {
        return readFileSync(join(dir, file));
      } catch (error) {
        // Not in this folder: try the next; anything else (permissions, a disk error) is real.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    return null;
  };
}
