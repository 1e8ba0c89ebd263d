// The production and development builds differ in their words only: the same calls throw
// or reject with the same codes; only the development build explains at length.
import { describe, expect, it } from 'vitest';
import { requireDist, ROOT } from '../../../../test/helpers/sizes.mjs';
import type * as EntryModule from '../../src/index.js';

type Entry = typeof EntryModule;

async function load(file: string): Promise<Entry> {
  requireDist(ROOT, [file]);
  return (await import(`${ROOT}/${file}`)) as Entry;
}

const WIDGET_KEY = 'ab_test_0123456789abcdef';
const BAD_OPTIONS: unknown[] = [
  null,
  { widgetKey: 'nope' },
  { widgetKey: WIDGET_KEY, apiBase: 'ftp://x' },
  { widgetKey: WIDGET_KEY, apiBase: 'http://127.0.0.1:9', theme: { position: 'top' } },
  { widgetKey: WIDGET_KEY, apiBase: 'http://127.0.0.1:9', userId: 'a', userToken: 'ha_secret_x' },
];

/** What each bad call does: the code it throws or rejects with, and the message's length. */
async function outcomes({ createHalo }: Entry): Promise<Array<{ code: string; length: number }>> {
  const caught = (error: unknown) => {
    const { code, message } = error as { code: string; message: string };
    return { code, length: message.length };
  };
  const results = BAD_OPTIONS.map((options) => {
    try {
      createHalo(options as never);
      return { code: 'none', length: 0 };
    } catch (error) {
      return caught(error);
    }
  });
  const client = createHalo({
    widgetKey: WIDGET_KEY,
    apiBase: 'http://127.0.0.1:9',
    launcher: false,
    fetch: async () => new Response('{}'),
  });
  for (const call of [
    () => client.identify(42 as never),
    () => client.sendMessage(''),
    () => client.identify('a', {}, { userToken: 'ha_secret_x' }),
  ]) {
    results.push(await call().then(() => ({ code: 'none', length: 0 }), caught));
  }
  client.shutdown();
  results.push(await client.history().then(() => ({ code: 'none', length: 0 }), caught));
  return results;
}

describe('production and development builds', () => {
  it('throw and reject with the same codes; the development messages are the longer ones', async () => {
    const production = await outcomes(await load('dist/index.mjs'));
    const development = await outcomes(await load('dist/index.development.mjs'));
    expect(production.map((o) => o.code)).toEqual(development.map((o) => o.code));
    expect(production.map((o) => o.code)).not.toContain('none');
    production.forEach((o, i) => expect(o.length).toBeLessThan(development[i]!.length));
  });
});
