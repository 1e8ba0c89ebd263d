// Fails when package-lock.json no longer matches package.json. `npm ci` installs from such a
// lockfile without complaint as long as the versions satisfy both, but the next `npm install`
// rewrites the tracked file (as when a range was pinned by hand in package.json only).
import { readFileSync } from 'node:fs';

const read = (path) => JSON.parse(readFileSync(new URL(`../${path}`, import.meta.url), 'utf8'));
const lock = read('package-lock.json');
const normalizeBin = (manifest, bin) =>
  Object.fromEntries(
    Object.entries(typeof bin === 'string' ? { [manifest.name]: bin } : (bin ?? {})).map(([k, v]) => [k, v.replace(/^\.\//, '')]),
  );
const same = (a, b) => JSON.stringify(a ?? {}, Object.keys(a ?? {}).sort()) === JSON.stringify(b ?? {}, Object.keys(b ?? {}).sort());

const problems = [];
if (lock.lockfileVersion !== 3) problems.push(`lockfileVersion is ${lock.lockfileVersion}, npm ≥ 9 writes 3`);
const rootManifest = read('package.json');
// The root and every workspace: each has its entry in the lockfile's `packages`.
for (const dir of ['', ...(rootManifest.workspaces ?? [])]) {
  const manifest = dir === '' ? rootManifest : read(`${dir}/package.json`);
  const entry = lock.packages?.[dir] ?? {};
  const where = dir || 'package.json';
  // npm records a workspace's name only in its node_modules link, the root's at the top.
  const fields = dir === '' ? ['name', 'version', 'license'] : ['version', 'license'];
  for (const field of fields) {
    if (manifest[field] !== entry[field])
      problems.push(`${where} ${field}: ${JSON.stringify(manifest[field])}, lockfile ${JSON.stringify(entry[field])}`);
  }
  for (const field of ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies', 'engines']) {
    const want = manifest[field] ?? {};
    const have = entry[field] ?? {};
    for (const name of new Set([...Object.keys(want), ...Object.keys(have)])) {
      if (want[name] !== have[name]) {
        problems.push(`${where} ${field}.${name}: ${JSON.stringify(want[name])}, lockfile ${JSON.stringify(have[name])}`);
      }
    }
  }
  if (!same(normalizeBin(manifest, manifest.bin), entry.bin)) problems.push(`${where} bin differs`);
}
if (lock.name !== rootManifest.name || lock.version !== rootManifest.version) problems.push('top-level name/version differ');

if (problems.length > 0) {
  console.error(
    `package-lock.json is out of date with package.json; run \`npm install\` and commit the lockfile:\n  ${problems.join('\n  ')}`,
  );
  process.exit(1);
}
console.log('package-lock.json matches package.json');
