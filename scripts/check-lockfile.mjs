// Fails when package-lock.json no longer matches package.json. `npm ci` installs from such a
// lockfile without complaint as long as the versions satisfy both, but the next `npm install`
// rewrites the tracked file (as when a range was pinned by hand in package.json only).
import { readFileSync } from 'node:fs';

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const lock = JSON.parse(readFileSync(new URL('../package-lock.json', import.meta.url), 'utf8'));
const root = lock.packages?.[''] ?? {};
const normalizeBin = (bin) =>
  Object.fromEntries(
    Object.entries(typeof bin === 'string' ? { [manifest.name]: bin } : (bin ?? {})).map(([k, v]) => [k, v.replace(/^\.\//, '')]),
  );
const same = (a, b) => JSON.stringify(a ?? {}, Object.keys(a ?? {}).sort()) === JSON.stringify(b ?? {}, Object.keys(b ?? {}).sort());

const problems = [];
if (lock.lockfileVersion !== 3) problems.push(`lockfileVersion is ${lock.lockfileVersion}, npm ≥ 9 writes 3`);
for (const field of ['name', 'version', 'license']) {
  if (manifest[field] !== root[field])
    problems.push(`${field}: package.json ${JSON.stringify(manifest[field])}, lockfile ${JSON.stringify(root[field])}`);
}
for (const field of ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies', 'engines']) {
  const want = manifest[field] ?? {};
  const have = root[field] ?? {};
  for (const name of new Set([...Object.keys(want), ...Object.keys(have)])) {
    if (want[name] !== have[name]) {
      problems.push(`${field}.${name}: package.json ${JSON.stringify(want[name])}, lockfile ${JSON.stringify(have[name])}`);
    }
  }
}
if (!same(normalizeBin(manifest.bin), root.bin)) problems.push('bin differs');
if (lock.name !== manifest.name || lock.version !== manifest.version) problems.push('top-level name/version differ');

if (problems.length > 0) {
  console.error(
    `package-lock.json is out of date with package.json; run \`npm install\` and commit the lockfile:\n  ${problems.join('\n  ')}`,
  );
  process.exit(1);
}
console.log('package-lock.json matches package.json');
