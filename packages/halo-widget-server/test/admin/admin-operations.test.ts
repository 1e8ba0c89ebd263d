// The settings operations on the memory store: validation of each field, the guards that keep
// a project from refusing every identified user, and secrets never in a view.
import { describe, expect, it } from 'vitest';
import { createAdminOperations, parseSettingsPatch } from '../../src/admin/admin-operations.js';
import { createMemoryAdminStore } from '../../src/admin/memory-admin-store.js';
import { createSettingsSource, seedProjects, toProjectConfig } from '../../src/admin/settings-source.js';

describe('settings patches', () => {
  it('normalises origins (trailing slash, case) and accepts "*" and null for any origin', () => {
    expect(parseSettingsPatch({ allowedOrigins: ['https://App.Example.com/', '*', 'http://127.0.0.1:3000'] })).toEqual({
      allowedOrigins: ['https://app.example.com', '*', 'http://127.0.0.1:3000'],
    });
    expect(parseSettingsPatch({ allowedOrigins: null })).toEqual({ allowedOrigins: null });
  });

  it('refuses an origin with a path, another scheme, or no scheme', () => {
    for (const origin of ['https://app.example.com/path', 'ftp://app.example.com', 'app.example.com', 42]) {
      expect(() => parseSettingsPatch({ allowedOrigins: [origin] })).toThrow(/allowedOrigins/);
    }
  });

  it('takes a token lifetime as a span of s, m, h or d, or null', () => {
    expect(parseSettingsPatch({ maxTokenLifetime: '15m' })).toEqual({ maxTokenLifetime: '15m' });
    expect(parseSettingsPatch({ maxTokenLifetime: null })).toEqual({ maxTokenLifetime: null });
    for (const span of ['0h', '24', '1w', 3600, '-1h'])
      expect(() => parseSettingsPatch({ maxTokenLifetime: span })).toThrow(/maxTokenLifetime/);
  });

  it('refuses an unknown mode or field', () => {
    expect(() => parseSettingsPatch({ mode: 'strict' })).toThrow(/`mode`/);
    expect(() => parseSettingsPatch({ identitySecrets: [] })).toThrow(/Unknown setting/);
  });
});

describe('admin operations', () => {
  it('creates a project with a fresh ab_live_ key in mode off, and monitor becomes the default with a secret', async () => {
    const ops = createAdminOperations(createMemoryAdminStore());
    const project = await ops.createProject('tester');
    expect(project).toMatchObject({ widgetKey: expect.stringMatching(/^ab_live_/), mode: null, effectiveMode: 'off', secrets: [] });
    const { secret, project: after } = await ops.generateSecret(project.widgetKey, 'tester');
    expect(after.effectiveMode).toBe('monitor');
    expect(JSON.stringify(after)).not.toContain(secret);
    await expect(ops.createProject('tester', project.widgetKey)).rejects.toMatchObject({ status: 409 });
    await expect(ops.createProject('tester', 'ha_secret_looks_like_a_secret')).rejects.toMatchObject({ status: 400 });
  });

  it('allows retiring the last secret only with verification off', async () => {
    const ops = createAdminOperations(createMemoryAdminStore());
    const { widgetKey } = await ops.createProject('tester');
    const { record } = await ops.generateSecret(widgetKey, 'tester');
    await expect(ops.retireSecret(widgetKey, record.id, 'tester')).rejects.toMatchObject({ status: 409 });
    await ops.updateSettings(widgetKey, { mode: 'off' }, 'tester');
    expect((await ops.retireSecret(widgetKey, record.id, 'tester')).secrets[0]!.retiredAt).not.toBeNull();
    await expect(ops.retireSecret(widgetKey, record.id, 'tester')).rejects.toMatchObject({ status: 409 });
    await expect(ops.retireSecret(widgetKey, 'sec_000000000000', 'tester')).rejects.toMatchObject({ status: 404 });
  });

  it('gives the API only the active secrets, and the mode as set (none for the default)', async () => {
    const store = createMemoryAdminStore();
    const ops = createAdminOperations(store);
    const { widgetKey } = await ops.createProject('tester');
    const first = await ops.generateSecret(widgetKey, 'tester');
    const second = await ops.generateSecret(widgetKey, 'tester');
    await ops.retireSecret(widgetKey, first.record.id, 'tester');
    expect(toProjectConfig((await store.getProject(widgetKey))!)).toEqual({ widgetKey, identitySecrets: [second.secret] });
  });
});

describe('the settings source', () => {
  it('replaces the live list in place on refresh, so an API holding the array sees the change', async () => {
    const store = createMemoryAdminStore();
    const ops = createAdminOperations(store);
    const { widgetKey } = await ops.createProject('tester');
    const source = await createSettingsSource(store, { refreshMs: 3_600_000 });
    const live = source.projects;
    expect(live).toEqual([{ widgetKey, identitySecrets: [] }]);
    await ops.generateSecret(widgetKey, 'tester');
    await ops.updateSettings(widgetKey, { mode: 'enforce', allowedOrigins: ['https://a.test'], maxTokenLifetime: '1h' }, 'tester');
    expect(live[0]!.mode).toBeUndefined();
    await source.refresh();
    expect(source.projects).toBe(live);
    expect(live[0]).toMatchObject({ mode: 'enforce', allowedOrigins: ['https://a.test'], maxTokenLifetime: '1h' });
    source.close();
  });

  it('keeps the last list when a reload fails, and reports the failure', async () => {
    const store = createMemoryAdminStore();
    await createAdminOperations(store).createProject('tester', 'ab_live_keepme');
    let fail = false;
    const flaky = { ...store, listProjects: () => (fail ? Promise.reject(new Error('database down')) : store.listProjects()) };
    const source = await createSettingsSource(flaky, { refreshMs: 3_600_000 });
    fail = true;
    await expect(source.refresh()).rejects.toThrow('database down');
    expect(source.projects.map((p) => p.widgetKey)).toEqual(['ab_live_keepme']);
    source.close();
  });
});

describe('importing the config file', () => {
  it('imports a project once and names the projects whose stored settings differ from the file', async () => {
    const store = createMemoryAdminStore();
    expect(await seedProjects(store, [{ widgetKey: 'ab_live_seeded', identitySecrets: ['ha_secret_seeded_value_1'] }])).toEqual([]);
    expect(await seedProjects(store, [{ widgetKey: 'ab_live_seeded', identitySecrets: ['ha_secret_seeded_value_1'] }])).toEqual([]);
    await createAdminOperations(store).updateSettings('ab_live_seeded', { mode: 'enforce' }, 'tester');
    expect(await seedProjects(store, [{ widgetKey: 'ab_live_seeded', identitySecrets: ['ha_secret_seeded_value_1'] }])).toEqual([
      'ab_live_seeded',
    ]);
    expect((await store.getProject('ab_live_seeded'))!.mode).toBe('enforce');
  });
});
