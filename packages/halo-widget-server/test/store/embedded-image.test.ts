// The embedded store's prebuilt image (ADR 0870): a fresh folder is unpacked from the data
// folder the build made (initdb and every migration) instead of running initdb; an image of
// another PGlite is not used; an altered or cut archive writes nothing outside, or nothing at all.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { createEmbeddedStore } from '../../src/store/create-embedded-store.js';
import { defaultImageDirs, extractTar, IMAGE_META, installedPgliteVersion, unpackEmbeddedImage } from '../../src/store/embedded-image.js';
import { MIGRATIONS } from '../../src/schema.js';

const dir = mkdtempSync(join(tmpdir(), 'halo-image-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One ustar header + data, as PGlite's dump writes them (typeflag '0' file, '5' folder). */
function entry(name: string, type: string, data = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 'utf8');
  header.write('0000644\0', 100);
  header.write(`${data.length.toString(8).padStart(11, '0')}\0`, 124);
  header.write(type, 156);
  header.write('ustar\x0000', 257);
  return Buffer.concat([header, data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}
const archive = (...entries: Buffer[]) => Buffer.concat([...entries, Buffer.alloc(1024)]);
async function* chunksOf(buffer: Buffer, size = 100) {
  for (let at = 0; at < buffer.length; at += size) yield buffer.subarray(at, at + size);
}

describe('the prebuilt image', () => {
  it('is in the build, made by the installed PGlite (run `npm run build` first)', async () => {
    const found = defaultImageDirs().find((candidate) => existsSync(join(candidate, IMAGE_META)));
    expect(found, 'dist/embedded/pgdata.json').toBeDefined();
    expect(JSON.parse(readFileSync(join(found!, IMAGE_META), 'utf8'))).toEqual({ pglite: await installedPgliteVersion() });
  });

  it('gives a fresh folder a database that already has every migration of this build', async () => {
    const folder = join(dir, 'fresh');
    const pgdata = join(folder, 'pgdata');
    mkdirSync(folder);
    expect(await unpackEmbeddedImage(pgdata)).toBe(true);
    expect(readFileSync(join(pgdata, 'PG_VERSION'), 'utf8').trim()).toMatch(/^\d+$/);
    expect(readdirSync(folder)).toEqual(['pgdata']); // no unpacking folder left behind
    const { PGlite } = await import('@electric-sql/pglite');
    const db = await PGlite.create(pgdata);
    try {
      const { rows } = await db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      expect(rows.map((row) => Number(row.version))).toEqual(MIGRATIONS.map((m) => m.version));
    } finally {
      await db.close();
    }
  }, 60_000);

  it('is not used when another PGlite version made it (initdb runs instead)', async () => {
    const pgdata = join(dir, 'other-version', 'pgdata');
    expect(await unpackEmbeddedImage(pgdata, { pgliteVersion: '0.0.1' })).toBe(false);
    expect(existsSync(pgdata)).toBe(false);
  });

  it('remakes a data folder that initdb left without PG_VERSION, and serves from it', async () => {
    const folder = join(dir, 'half-made');
    mkdirSync(join(folder, 'pgdata', 'base'), { recursive: true });
    writeFileSync(join(folder, 'pgdata', 'base', 'junk'), 'left by a crash');
    const store = await createEmbeddedStore({ dataDir: folder });
    try {
      expect(existsSync(join(folder, 'pgdata', 'PG_VERSION'))).toBe(true);
      expect(existsSync(join(folder, 'pgdata', 'base', 'junk'))).toBe(false);
      expect(await store.findConversation('ab_p', 'user:ann', null)).toBeNull();
    } finally {
      await store.close();
    }
  }, 60_000);
});

describe('unpackEmbeddedImage', () => {
  it('rejects (rather than waits forever) when the archive named by pgdata.json is missing', async () => {
    const images = join(dir, 'meta-only');
    mkdirSync(images);
    writeFileSync(join(images, IMAGE_META), JSON.stringify({ pglite: 'v' }));
    mkdirSync(join(dir, 'meta-only-target'));
    const pgdata = join(dir, 'meta-only-target', 'pgdata');
    await expect(unpackEmbeddedImage(pgdata, { imageDirs: [images], pgliteVersion: 'v' })).rejects.toThrow(/ENOENT/);
    expect(readdirSync(join(dir, 'meta-only-target'))).toEqual([]);
  });

  it('removes an unpacking folder a process that died left behind', async () => {
    const folder = join(dir, 'stale');
    mkdirSync(join(folder, 'pgdata.unpacking-999999'), { recursive: true });
    expect(await unpackEmbeddedImage(join(folder, 'pgdata'))).toBe(true);
    expect(readdirSync(folder)).toEqual(['pgdata']);
  }, 60_000);
});

describe('extractTar', () => {
  it('writes folders and files, whatever the chunk boundaries', async () => {
    const target = join(dir, 'tar-ok');
    const big = Buffer.alloc(1500, 7);
    await extractTar(
      chunksOf(archive(entry('/base', '5'), entry('/base/1', '0', big), entry('/PG_VERSION', '0', Buffer.from('18\n')))),
      target,
    );
    expect(readFileSync(join(target, 'base', '1'))).toEqual(big);
    expect(readFileSync(join(target, 'PG_VERSION'), 'utf8')).toBe('18\n');
  });

  it('refuses an entry that climbs out of the folder and writes nothing there', async () => {
    const target = join(dir, 'tar-climb', 'inner');
    await expect(extractTar(chunksOf(archive(entry('../outside', '0', Buffer.from('x')))), target)).rejects.toThrow(
      /outside the data folder/,
    );
    expect(existsSync(join(dir, 'tar-climb', 'outside'))).toBe(false);
  });

  it('refuses a link, and an archive cut inside an entry', async () => {
    await expect(extractTar(chunksOf(archive(entry('/link', '2'))), join(dir, 'tar-link'))).rejects.toThrow(/unsupported type "2"/);
    const cut = entry('/file', '0', Buffer.alloc(2000, 1)).subarray(0, 1200);
    await expect(extractTar(chunksOf(cut), join(dir, 'tar-cut'))).rejects.toThrow(/ends inside an entry/);
  });

  it('leaves no data folder when the image is damaged, so the next start unpacks again', async () => {
    const images = join(dir, 'damaged-image');
    mkdirSync(images);
    writeFileSync(join(images, IMAGE_META), JSON.stringify({ pglite: 'v' }));
    writeFileSync(join(images, 'pgdata.tar.gz'), gzipSync(entry('/PG_VERSION', '0', Buffer.alloc(2000)).subarray(0, 900)));
    const pgdata = join(dir, 'damaged', 'pgdata');
    mkdirSync(join(dir, 'damaged'));
    await expect(unpackEmbeddedImage(pgdata, { imageDirs: [images], pgliteVersion: 'v' })).rejects.toThrow(/ends inside an entry/);
    expect(readdirSync(join(dir, 'damaged'))).toEqual([]);
  });
});
