// The house rules a maintainer relies on to find things, checked on the tracked files of both
// packages: each shared limit and pattern defined once (in the browser package's protocol
// module, which the service imports), every HaloError made in errors.ts, no file in a src/
// past ~300 lines, the browser package importing no service code, nothing pointing outside the repository, and rules cited by their names in
// docs/protocol.md, never by the old numbers.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const W = 'packages/halo-widget/src';
const S = 'packages/halo-widget-server/src';
const PROTOCOL = `${W}/protocol.ts`;
const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
const TEXT = /\.(ts|tsx|js|mjs|cjs|jsx|json|md|html|css|yml|yaml)$|^\.ci\/run$/;
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');
const sources = tracked.filter((file) => /^packages\/[^/]+\/src\//.test(file) && /\.(ts|js)$/.test(file));

/** The code of a file without its comments (line comments and JSDoc / block comments). */
const codeOf = (text: string) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');

/** Files in src/ (other than `home`) whose code matches `pattern`. */
const definedOutside = (pattern: RegExp, home: string) => sources.filter((file) => file !== home && pattern.test(codeOf(read(file))));

// Files allowed past 300 lines, each with why, and the length it may not grow past.
const LONG_FILES: Record<string, { reason: string; lines: number }> = {
  [`${W}/sdk/client.ts`]: {
    reason:
      'the public HaloClient class: each method is a few lines of wiring into session, identity-call, outbox and messages; a class cannot be split across files without spreading its public surface. The live channel, held messages and delivery added ~70 lines of such wiring; every split tried (live-link, reporter, held-messages) grew the production core by 16–121 B gzip, since private names and the properties passed between modules are not minified',
    lines: 401,
  },
  [`${W}/widget/widget.ts`]: {
    reason:
      'the panel DOM and its event wiring share one closure (the log, the outgoing messages, the identity shown); the stateless parts are separate files (bubble, outgoing, icons, styles, dom), and moving closure-bound parts out grew the gzipped widget chunk by ~70 B in a trial',
    lines: 342,
  },
  [`${S}/inbox/page/inbox.js`]: {
    reason:
      'the /inbox page script, served as one static file under the strict page CSP (no modules, no inline script); splitting it means serving and loading more files in order through globals',
    lines: 338,
  },
  [`${S}/admin/page/admin.js`]: {
    reason:
      'the /admin page script, one static file under the same strict CSP as the inbox page (see above); the AI replies section took it past 300',
    lines: 325,
  },
};

describe('source rules', () => {
  it('defines the 4000-character message limit once, in the protocol module, for the SDK, the widget and the server', () => {
    expect(read(PROTOCOL)).toMatch(/export const MAX_MESSAGE_CHARS = 4000;/);
    expect(definedOutside(/(?<![\w.])4_?000(?![\w.])/, PROTOCOL)).toEqual([]);
  });

  it('defines the ha_secret_ pattern once, in the protocol module', () => {
    expect(read(PROTOCOL)).toMatch(/export const SECRET_PREFIX = 'ha_secret_';/);
    expect(definedOutside(/['"`]ha_secret_(['"`]|\$\{)|startsWith\(\s*['"`]ha_secret/, PROTOCOL)).toEqual([]);
  });

  it('defines what browser and server must agree on once, in the protocol module both import', () => {
    const protocol = read(PROTOCOL);
    expect(protocol).toMatch(/export const MAX_CLIENT_MESSAGE_ID = 100;/);
    expect(definedOutside(/const MAX_CLIENT_MESSAGE_ID\s*=/, PROTOCOL)).toEqual([]);
    // The clock tolerance (clock-tolerance), the 403 reasons, the default mode, the message's shape.
    expect(protocol).toMatch(/export const CLOCK_TOLERANCE_SECONDS = 30;/);
    expect(definedOutside(/TOLERANCE\w*\s*=\s*30\b|\?\?\s*30\b/, PROTOCOL)).toEqual([]);
    expect(definedOutside(/'token_missing'\s*\|\s*'token_expired'/, PROTOCOL)).toEqual([]);
    expect(definedOutside(/\?\s*'monitor'\s*:\s*'off'/, PROTOCOL)).toEqual([]);
    expect(sources.filter((file) => /export (interface|type) ChatMessage\b/.test(read(file)))).toEqual([PROTOCOL]);
  });

  it('builds record ids and client ids in one function each', () => {
    expect(sources.filter((file) => /export function newId\(/.test(read(file)))).toEqual([`${S}/store/store.ts`]);
    expect(sources.filter((file) => /export function randomId\(/.test(read(file)))).toEqual([`${W}/sdk/random-id.ts`]);
    // In the browser package; the service makes record ids with newId and request ids with randomUUID.
    expect(definedOutside(/randomUUID\(\)/, `${W}/sdk/random-id.ts`).filter((file) => file.startsWith(W))).toEqual([]);
  });

  it('makes every HaloError in errors.ts (the React and Vue bindings use the core’s class, imported from halo-widget, for what an app’s code threw)', () => {
    expect(definedOutside(/new HaloError\(/, `${W}/errors.ts`)).toEqual([
      `${W}/react/halo-provider.ts`,
      `${W}/react/use-halo.ts`,
      `${W}/vue/use-halo.ts`,
    ]);
  });

  it('keeps files in src/ under ~300 lines, except those that say why', () => {
    const long = sources
      .map((file) => ({ file, lines: read(file).split('\n').length - 1 }))
      .filter(({ file, lines }) => lines > 300 && !(LONG_FILES[file] && lines <= LONG_FILES[file].lines));
    expect(long).toEqual([]);
  });

  it('keeps the browser package free of service code: nothing in it imports halo-widget-server, pg or PGlite', () => {
    const importing = sources.filter(
      (file) =>
        file.startsWith(W) && /from ['"](halo-widget-server|pg|@electric-sql\/pglite)['"/]|\.\.\/halo-widget-server\//.test(read(file)),
    );
    expect(importing).toEqual([]);
  });

  it('has the service reach the browser package through its published entries only, never its src/', () => {
    expect(sources.filter((file) => file.startsWith(S) && /halo-widget\/src\//.test(read(file)))).toEqual([]);
  });

  it('points nowhere outside the repository (no parent-folder contract, no machine paths)', () => {
    const outside = tracked.filter((file) => TEXT.test(file) && /\.\.\/shared|\/work\/(shared|coord)/.test(read(file)));
    expect(outside).toEqual([]);
  });

  it('cites rules by their names in docs/protocol.md, not by the old section and rule numbers', () => {
    const OLD =
      /\bSPEC\b.{0,3}(§|[TV]\d)|§\s*\d|(\brules?\s+|[(,/]\s?)[TV](1[0-2]|[1-9])\b(?! lets)|\b[TV](1[0-2]|[1-9])[):/]|\b[TV](1[0-2]|[1-9])[–-][TV]\d/;
    const citing = tracked
      .filter((file) => TEXT.test(file) && file !== 'package-lock.json')
      .flatMap((file) =>
        read(file)
          .split('\n')
          .map((line, i) => ({ at: `${file}:${i + 1}`, line }))
          .filter(({ line }) => OLD.test(line)),
      );
    expect(citing).toEqual([]);
  });
});
