import { describe, expect, it } from 'vitest';
import { isHaloError, type HaloError } from '../../src/index.js';
import { resolveOptions } from '../../src/sdk/options.js';
import { API_BASE, WIDGET_KEY } from '../../../../test/helpers/fake-api.js';

const base = { widgetKey: WIDGET_KEY, apiBase: API_BASE };

function thrown(run: () => unknown): HaloError {
  try {
    run();
  } catch (error) {
    if (isHaloError(error)) return error;
    throw error;
  }
  throw new Error('expected a HaloError');
}

describe('resolveOptions', () => {
  it('fills every default in one place', () => {
    const o = resolveOptions(base);
    expect(o).toMatchObject({
      widgetKey: WIDGET_KEY,
      apiBase: API_BASE,
      userId: null,
      userToken: null,
      userTraits: {},
      getUserToken: null,
      refreshSkewSeconds: 300,
      tokenTimeoutMs: 10_000,
      launcher: false, // no DOM in this environment
      retry: { attempts: 4, baseDelayMs: 300, maxDelayMs: 5000 },
    });
    expect(typeof o.fetch).toBe('function');
  });

  it.each([
    ['widgetKey', { apiBase: API_BASE }],
    ['widgetKey', { ...base, widgetKey: 42 }],
    ['widgetKey', { ...base, widgetKey: 'pk_live_123456789' }],
    ['apiBase', { ...base, apiBase: 'not a url' }],
    ['apiBase', { widgetKey: WIDGET_KEY }],
    ['userId', { ...base, userId: 7 }],
    ['userTraits', { ...base, userTraits: 'Alice' }],
    ['getUserToken', { ...base, getUserToken: 'token' }],
    ['onError', { ...base, onError: true }],
    ['refreshSkewSeconds', { ...base, refreshSkewSeconds: -1 }],
    ['tokenTimeoutMs', { ...base, tokenTimeoutMs: Number.NaN }],
    ['launcher', { ...base, launcher: 'yes' }],
    ['fetch', { ...base, fetch: {} }],
    ['theme.position', { ...base, theme: { position: 'top' } }],
    ['theme.title', { ...base, theme: { title: 7 } }],
    ['theme.avatarUrl', { ...base, theme: { avatarUrl: '' } }],
    ['retry.attempts', { ...base, retry: { attempts: 1.5 } }],
  ])('a bad `%s` throws invalid_options naming it', (option, options) => {
    const error = thrown(() => resolveOptions(options as never));
    expect(error.code).toBe('invalid_options');
    expect(error.message).toContain(`\`${option}\``);
  });

  it('keeps the header options of the theme', () => {
    const theme = { title: 'Acme help', subtitle: 'Hi', avatarUrl: '/img/team.png' };
    expect(resolveOptions({ ...base, theme }).theme).toEqual(theme);
  });

  it.each(['ab_live_x', 'ab_test_min', 'ab_test_0123456789abcdef'])('accepts the widget key %s', (widgetKey) => {
    expect(resolveOptions({ ...base, widgetKey }).widgetKey).toBe(widgetKey);
  });

  it('a cyclic userTraits object is checked for secrets without hanging', () => {
    const traits: Record<string, unknown> = { name: 'Alice' };
    traits.self = traits;
    expect(resolveOptions({ ...base, userTraits: traits }).userTraits.name).toBe('Alice');
    traits.later = { key: 'ha_secret_abc' };
    expect(thrown(() => resolveOptions({ ...base, userTraits: traits })).code).toBe('secret_exposed');
  });

  it('a non-object throws invalid_options', () => {
    expect(thrown(() => resolveOptions(null as never)).code).toBe('invalid_options');
  });

  it.each([
    ['widgetKey', { widgetKey: 'ha_secret_abc' }],
    ['userToken', { ...base, userId: 'u', userToken: 'ha_secret_abc' }],
    ['a trait', { ...base, userTraits: { nested: { key: 'ha_secret_abc' } } }],
    ['a deeply nested trait', { ...base, userTraits: { a: { b: { c: { d: { e: { f: { g: ['ha_secret_abc'] } } } } } } } }],
    ['an otherwise invalid option', { widgetKey: 5, apiBase: 'ha_secret_x' }],
  ])('an ha_secret_ value in %s throws secret_exposed before any other check', (_where, options) => {
    const error = thrown(() => resolveOptions(options as never));
    expect(error.code).toBe('secret_exposed');
    expect(error.message).not.toContain('ha_secret_abc');
  });

  it('apiBase loses its trailing slash', () => {
    expect(resolveOptions({ ...base, apiBase: 'https://api.example.com/' }).apiBase).toBe('https://api.example.com');
  });
});

describe('isHaloError', () => {
  it('recognises a HaloError from another realm by name and code', () => {
    const foreign = Object.assign(new Error('x'), { name: 'HaloError', code: 'not_found' });
    expect(isHaloError(foreign)).toBe(true);
    expect(isHaloError(new Error('x'))).toBe(false);
    expect(isHaloError(null)).toBe(false);
  });
});
