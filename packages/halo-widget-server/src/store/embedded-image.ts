import { closeSync, createReadStream, mkdirSync, openSync, writeSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createGunzip } from 'node:zlib';

/**
 * The embedded database's prebuilt image: the data folder PGlite's initdb makes, packed at
 * build time (scripts/build-embedded-image.mjs) as `dist/embedded/pgdata.tar.gz`, with the
 * PGlite version that made it in `pgdata.json`. A first start unpacks it instead of running
 * initdb (seconds of CPU and ~500 MB of WASM heap): ADR 0870.
 */
export const IMAGE_FILE = 'pgdata.tar.gz';
export const IMAGE_META = 'pgdata.json';

/** Where the image is: beside the bundled code (`dist/embedded`), or the package's dist/ when run from source. */
export function defaultImageDirs(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  return [join(here, 'embedded'), join(here, '..', '..', 'dist', 'embedded')];
}

/** The installed PGlite's version: an image is only valid for the PGlite that made it. */
export async function installedPgliteVersion(): Promise<string> {
  const entry = fileURLToPath(import.meta.resolve('@electric-sql/pglite'));
  const manifest = JSON.parse(await readFile(join(dirname(entry), '..', 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

const BLOCK = 512;

function field(header: Buffer, start: number, length: number): string {
  const raw = header.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? length : end).toString('utf8');
}

/** What a ustar header says of its entry; throws for anything PGlite's dump never holds. */
function parseHeader(header: Buffer): { path: string; type: 'dir' | 'file'; mode: number; size: number } {
  const name = [field(header, 345, 155), field(header, 0, 100)].filter(Boolean).join('/');
  const size = parseInt(field(header, 124, 12).trim() || '0', 8);
  const flag = String.fromCharCode(header[156]!);
  const path = normalize(name.replace(/^\/+/, ''));
  if (!Number.isSafeInteger(size) || size < 0) throw new Error(`embedded image: a damaged entry (${name})`);
  if (path === '..' || path.startsWith(`..${sep}`) || isAbsolute(path))
    throw new Error(`embedded image: an entry outside the data folder (${name})`);
  const type = flag === '5' ? 'dir' : flag === '0' || flag === '\0' ? 'file' : null;
  if (type === null) throw new Error(`embedded image: an entry of unsupported type ${JSON.stringify(flag)} (${name})`);
  return { path, type, mode: parseInt(field(header, 100, 8).trim() || '0', 8) & 0o777, size };
}

/**
 * Writes a ustar archive (what PGlite's `dumpDataDir` writes) from `chunks` into `dir`, as it
 * streams: memory stays one chunk, not the ~40 MB data folder (a buffer that size would stay
 * in the server's resident memory for its life). Paths are made relative; an entry that climbs
 * out (`..`) or of another kind (a link, a device) is refused, so an altered image cannot
 * write outside `dir`.
 */
export async function extractTar(chunks: AsyncIterable<Buffer>, dir: string): Promise<void> {
  let pending: Buffer = Buffer.alloc(0);
  let file: number | null = null;
  let left = 0; // bytes of the current file still to write
  let skip = 0; // padding to the next 512-byte block
  let ended = false;
  try {
    for await (const chunk of chunks) {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (!ended) {
        if (file !== null) {
          const part = pending.subarray(0, Math.min(left, pending.length));
          if (part.length) writeSync(file, part);
          pending = pending.subarray(part.length);
          left -= part.length;
          if (left > 0) break;
          closeSync(file);
          file = null;
        }
        const skipped = Math.min(skip, pending.length);
        pending = pending.subarray(skipped);
        skip -= skipped;
        if (skip > 0 || pending.length < BLOCK) break;
        const header = pending.subarray(0, BLOCK);
        pending = pending.subarray(BLOCK);
        if (header.every((byte) => byte === 0))
          ended = true; // the end-of-archive blocks
        else {
          const entry = parseHeader(header);
          const target = join(dir, entry.path);
          if (entry.type === 'dir') mkdirSync(target, { recursive: true, mode: entry.mode || 0o700 });
          else {
            mkdirSync(dirname(target), { recursive: true, mode: 0o700 });
            file = openSync(target, 'w', entry.mode || 0o600);
            left = entry.size;
            skip = (BLOCK - (entry.size % BLOCK)) % BLOCK;
          }
        }
      }
    }
    if (file !== null || skip > 0) throw new Error('embedded image: the archive ends inside an entry');
  } finally {
    if (file !== null) closeSync(file);
  }
}

/**
 * Unpacks the image into `dataDir` when one made by the installed PGlite is found: into a
 * sibling folder first, renamed into place once complete, so a crash midway leaves no
 * half-made database (the next start unpacks again).
 * @returns whether `dataDir` now holds the image; false when there is no usable image (the
 * caller runs initdb instead).
 */
export async function unpackEmbeddedImage(
  dataDir: string,
  options: { imageDirs?: string[]; pgliteVersion?: string } = {},
): Promise<boolean> {
  const version = options.pgliteVersion ?? (await installedPgliteVersion());
  for (const dir of options.imageDirs ?? defaultImageDirs()) {
    let meta: { pglite?: unknown };
    try {
      meta = JSON.parse(await readFile(join(dir, IMAGE_META), 'utf8')) as { pglite?: unknown };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // not in this place
      throw error;
    }
    if (meta.pglite !== version) return false;
    const partial = `${dataDir}.unpacking-${process.pid}`;
    // The caller holds the folder's lock: an unpacking folder left by a process that died is stale.
    for (const name of await readdir(dirname(dataDir)))
      if (name.startsWith(`${basename(dataDir)}.unpacking-`)) await rm(join(dirname(dataDir), name), { recursive: true, force: true });
    await mkdir(partial, { recursive: true, mode: 0o700 });
    try {
      const gunzip = createGunzip();
      // pipe() does not pass on the source's errors (a missing file): the reader would wait forever.
      createReadStream(join(dir, IMAGE_FILE))
        .on('error', (error) => gunzip.destroy(error))
        .pipe(gunzip);
      await extractTar(gunzip, partial);
      await rename(partial, dataDir);
    } catch (error) {
      await rm(partial, { recursive: true, force: true });
      throw error;
    }
    return true;
  }
  return false;
}
