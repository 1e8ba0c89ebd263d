// package.json as a registry and a bundler read it: the licence and where the project lives,
// the files with side effects, and a `require` condition on every entry.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as Record<string, any>;

describe('package.json', () => {
  it('has an MIT LICENSE file, a repository, a homepage and a bugs URL', () => {
    expect(pkg.license).toBe('MIT');
    expect(existsSync(join(ROOT, 'LICENSE'))).toBe(true);
    expect(readFileSync(join(ROOT, 'LICENSE'), 'utf8')).toMatch(/MIT License/);
    expect(pkg.files).toContain('LICENSE');
    expect(pkg.repository).toMatchObject({ type: 'git', url: expect.stringMatching(/^git\+https:\/\//) });
    expect(pkg.homepage).toMatch(/^https:\/\//);
    expect(pkg.bugs?.url).toMatch(/^https:\/\/.*\/issues$/);
  });

  it('lists only the script-tag bundles and the snippet as having side effects', () => {
    expect([...pkg.sideEffects].sort()).toEqual(['./dist/halo.development.js', './dist/halo.js', './dist/snippet.js']);
  });

  it('gives halo-widget, halo-widget/server and halo-widget/react both an import and a require condition', () => {
    for (const entry of ['.', './server', './react']) {
      expect(Object.keys(pkg.exports[entry]), entry).toEqual(['import', 'require']);
    }
  });

  it('makes React an optional peer dependency, React 18 and later', () => {
    expect(pkg.peerDependencies.react).toBe('>=18');
    expect(pkg.peerDependenciesMeta.react.optional).toBe(true);
  });
});
