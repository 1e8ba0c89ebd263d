// Size budgets, enforced on every test run for the production build (the one apps ship):
// sizes are deterministic, unlike timings, which stay in `npm run bench`. The numbers come
// from the same module the bench prints, and the budgets are fixed, not a moving ceiling.
import { beforeAll, describe, expect, it } from 'vitest';
import { BUDGETS, measureSizes, requireDist } from '../../../../test/helpers/sizes.mjs';

type Measured = Awaited<ReturnType<typeof measureSizes>>;

// The 5 KB core and 10 KB script-tag budgets are not met (docs/perf-notes.md says where the
// bytes go; `npm run bench` prints both as MISSED). Until they are, each production build is
// held under a ceiling just above its size on 2026-12-02, so any growth fails here. Lower a
// ceiling whenever a change shrinks its build; never raise one without a recorded reason.
// Raised on 2026-12-05 for the live channel (issue 23, ADR 0823): the core from 8 248 to 8 527 B
// (its starter, de-duplication and the event names: +279 B of the 1 KB it may add; the channel
// itself is a lazily loaded chunk), dist/halo.js from 12 407 to 14 178 B (the script tag
// inlines every chunk, the channel's and the unread badge's included).
// The React binding's ceiling: issue 22's never-crash provider (status, enabled, client, dead
// clients) took it from 758 to 1 212 B (docs/decisions/0303-react-never-crashes-the-app.md).
// +180 B each: held messages kept across a re-login redirect (issue 26, ADR 0853); +30 B after
// the three merged (the hardening's "Unverified:" label is in the widget's part).
// AI replies (issue 25, ADR 0601): +9 B in the core (sendMessage resolving with the stored user
// message must not announce it twice; messageDelta is in the channel chunk), ~+420 B in halo.js
// (the typing dots and the growing bubble).
// History pages (issue 27, ADR 0815/0816): the core from 8 780 to 8 810 B (measured 8 763 →
// 8 809: `before`/`limit` on the wire and a non-enumerable `hasMore` on the answer, so the
// array still deep-equals a plain one; the loading on scroll is in the lazy widget chunk),
// dist/halo.js from 14 900 to 15 090 B (measured 14 840 → 15 076 for that module, inlined; 15 082 with the widget split into modules).
const CEILING = { coreGzip: 8_810, widgetGzip: 15_090, reactAddedGzip: 1_250 };

describe('size budgets', () => {
  let sizes: Measured;

  beforeAll(async () => {
    // A clear instruction instead of ENOENT when the suite runs without a build.
    requireDist();
    sizes = await measureSizes();
  }, 60_000);

  it('the whole widget (dist/halo.js) stays under its ceiling (budget 10 KB gzipped, not met yet)', () => {
    expect(BUDGETS.widgetGzip).toBe(10_000);
    expect(sizes.widget.gzip, `dist/halo.js is ${sizes.widget.gzip} B gzip`).toBeLessThanOrEqual(CEILING.widgetGzip);
  });

  it('the core an app bundles for `import { createHalo }` stays under its ceiling (budget 5 KB gzipped, not met yet)', () => {
    expect(BUDGETS.coreGzip).toBe(5_000);
    // The measured chunk is the whole start-up code, not a facade over a shared chunk.
    expect(sizes.core.staticImports).toBe(0);
    expect(sizes.core.gzip, `the core entry chunk is ${sizes.core.gzip} B gzip`).toBeLessThanOrEqual(CEILING.coreGzip);
  });

  it('the development build carries the long messages the production build leaves out', () => {
    expect(sizes.coreDev.gzip).toBeGreaterThan(sizes.core.gzip);
    expect(sizes.widgetDev.gzip).toBeGreaterThan(sizes.widget.gzip);
  });

  it('the widget UI stays out of the core, in a chunk loaded on demand', () => {
    expect(sizes.coreChunks.length).toBeGreaterThanOrEqual(1);
  });

  it('the live channel stays out of the core, in its own chunk loaded on demand', () => {
    expect(sizes.coreChunks.some((chunk: { name: string }) => chunk.name.startsWith('channel-'))).toBe(true);
  });

  it('the React binding (every export of halo-widget/react) stays under its ceiling (budget 1 KB gzipped, not met since the never-crash provider)', () => {
    expect(BUDGETS.reactAddedGzip).toBe(1_000);
    expect(sizes.react.addedGzip, `halo-widget/react adds ${sizes.react.addedGzip} B gzip`).toBeLessThanOrEqual(CEILING.reactAddedGzip);
    // Bundled with the core, not beside a second copy of it.
    expect(sizes.react.total.gzip).toBeLessThan(sizes.core.gzip * 1.5);
  });

  it('the snippet (dist/snippet.js) is at most 600 bytes', () => {
    expect(sizes.snippet.raw, `dist/snippet.js is ${sizes.snippet.raw} B`).toBeLessThanOrEqual(BUDGETS.snippetRaw);
  });
});
