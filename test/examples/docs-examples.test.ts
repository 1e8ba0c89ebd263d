// docs/react.md shows the example apps' files verbatim: each block after an
// `<!-- example:<path> -->` marker must equal examples/<path>, so the code users copy is the
// code that examples.test.ts builds with `next build` and `vite build`.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLES, REPO } from './example-app.js';

const DOC = readFileSync(join(REPO, 'docs/react.md'), 'utf8');

/** Every `<!-- example:<path> -->` marker and the fenced block right after it. */
function shownFiles(markdown: string): Map<string, string> {
  const shown = new Map<string, string>();
  for (const match of markdown.matchAll(/<!-- example:(\S+) -->\n```[a-z]*\n([\s\S]*?)\n```\n/g)) {
    shown.set(match[1]!, `${match[2]!}\n`);
  }
  return shown;
}

// The files that carry halo-widget code: the docs must show each of them.
const MUST_SHOW = [
  'nextjs/next.config.ts',
  'nextjs/app/support-chat.tsx',
  'nextjs/app/layout.tsx',
  'nextjs/app/api/halo-token/route.ts',
  'vite/src/App.tsx',
];

describe('docs/react.md and examples/', () => {
  const shown = shownFiles(DOC);

  it('shows every example file that uses halo-widget', () => {
    expect([...shown.keys()].sort()).toEqual(expect.arrayContaining(MUST_SHOW.sort()));
  });

  it('shows each example file exactly as it is in examples/', () => {
    expect(shown.size).toBeGreaterThan(0);
    for (const [path, block] of shown) {
      const file = join(EXAMPLES, path);
      expect(existsSync(file), `docs/react.md shows examples/${path}, which does not exist`).toBe(true);
      expect(block, `docs/react.md's block for examples/${path} differs from the file`).toBe(readFileSync(file, 'utf8'));
    }
  });

  it('marks no block twice', () => {
    const markers = [...DOC.matchAll(/<!-- example:(\S+) -->/g)].map((match) => match[1]);
    expect(markers.length).toBe(shown.size);
  });
});
