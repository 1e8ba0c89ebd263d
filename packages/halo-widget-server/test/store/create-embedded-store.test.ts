// The embedded store (PGlite in a folder): what it stores survives a close and reopen, and a
// folder serves one process at a time.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createEmbeddedStore } from '../../src/store/create-embedded-store.js';
import { chatOnce, texts } from './exchange-helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'halo-embedded-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('createEmbeddedStore', () => {
  it('keeps conversations, messages and traits across a close and a reopen', async () => {
    const first = await createEmbeddedStore({ dataDir: join(dir, 'keep') });
    const { conversation } = (await chatOnce(first, 'ab_p', 'user:ann', null, 'cm', 'q', 'a'))!;
    const id = conversation.id;
    await first.setTraits('ab_p', 'user:ann', { name: 'Ann' });
    await first.close();

    const again = await createEmbeddedStore({ dataDir: join(dir, 'keep') });
    try {
      expect(await again.findConversation('ab_p', 'user:ann', null)).toEqual(conversation);
      expect(await texts(again, 'ab_p', id)).toEqual(['q', 'a']);
      expect(await again.getTraits('ab_p', 'user:ann')).toEqual({ name: 'Ann' });
    } finally {
      await again.close();
    }
  }, 60_000);

  it('refuses a folder another live process holds, and takes over one whose process died', async () => {
    const folder = join(dir, 'locked');
    const store = await createEmbeddedStore({ dataDir: folder });
    await store.close();
    // A live process other than this one (the parent of vitest's worker is alive for the whole run).
    writeFileSync(join(folder, 'halo-widget.lock'), String(process.ppid));
    await expect(createEmbeddedStore({ dataDir: folder })).rejects.toThrow(/in use by process/);
    // A process that has exited: its lock is stale.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(join(folder, 'halo-widget.lock'), dead);
    const reopened = await createEmbeddedStore({ dataDir: folder });
    await reopened.close();
  }, 60_000);
});
