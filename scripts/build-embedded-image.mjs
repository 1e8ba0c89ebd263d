// The embedded store's prebuilt image (ADR 0870): a data folder made once here at build time —
// PGlite's initdb plus every migration of this build — packed as dist/embedded/pgdata.tar.gz
// with the PGlite version that made it. A first `serve` on a fresh folder unpacks it instead of
// running initdb and the migrations (src/store/embedded-image.ts). Run after the bundle is
// built, from packages/halo-widget-server (its build script does).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PGlite } from '@electric-sql/pglite';

const entry = fileURLToPath(import.meta.resolve('@electric-sql/pglite'));
const { version } = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8'));
const { createEmbeddedStore } = await import(pathToFileURL(resolve('dist/index.mjs')).href);
const work = mkdtempSync(join(tmpdir(), 'halo-image-'));
try {
  // No image exists yet in this build's dist/, so the store runs initdb (in its worker) and migrates.
  const store = await createEmbeddedStore({ dataDir: work });
  await store.close();
  const db = await PGlite.create(join(work, 'pgdata'));
  const image = await db.dumpDataDir('gzip');
  await db.close();
  mkdirSync('dist/embedded', { recursive: true });
  writeFileSync('dist/embedded/pgdata.tar.gz', Buffer.from(await image.arrayBuffer()));
  writeFileSync('dist/embedded/pgdata.json', `${JSON.stringify({ pglite: version })}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
