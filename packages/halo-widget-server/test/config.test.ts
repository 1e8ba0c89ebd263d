// createHaloApi checks its config at once: a typo fails at start-up, not as a 500 later.
import { describe, expect, it, vi } from 'vitest';
import { createHaloApi, generateProjectKeys, type HaloApiConfig } from '../src/index.js';
import { silentLogger } from '../../../test/helpers/server.js';

const { identitySecret: SECRET } = generateProjectKeys();
const make = (config: unknown, logger = silentLogger()) => createHaloApi({ logger, ...(config as HaloApiConfig) });

describe('config checks', () => {
  it.each([
    ['projects that are not an array', { projects: {} }, /projects/],
    ['a project without a widgetKey', { projects: [{}] }, /projects\[0\]\.widgetKey/],
    ['a widget key listed twice', { projects: [{ widgetKey: 'ab_test_x' }, { widgetKey: 'ab_test_x' }] }, /twice/],
    ['an identity secret used as a widget key', { projects: [{ widgetKey: SECRET }] }, /identity secret/],
    ['identitySecrets that is a string', { projects: [{ widgetKey: 'k', identitySecrets: SECRET }] }, /identitySecrets/],
    [
      'a secret without the ha_secret_ prefix',
      { projects: [{ widgetKey: 'k', identitySecrets: ['hunter2-hunter2'] }] },
      /identitySecrets\[0\]/,
    ],
    ['an unknown mode', { projects: [{ widgetKey: 'k', mode: 'strict' }] }, /mode/],
    ['allowedOrigins that is a string', { projects: [{ widgetKey: 'k', allowedOrigins: 'https://a.example' }] }, /allowedOrigins/],
    ['a respond that is not a function', { projects: [], respond: 'hi' }, /respond/],
  ])('refuses %s with a TypeError naming the field', (_name, config, message) => {
    expect(() => make(config)).toThrow(TypeError);
    expect(() => make(config)).toThrow(message);
  });

  it('never puts a secret in its error messages', () => {
    const bad = 'ha_secretX_looks_almost_right_0123456789';
    try {
      make({ projects: [{ widgetKey: 'k', identitySecrets: [bad] }] });
      expect.unreachable();
    } catch (error) {
      expect((error as Error).message).not.toContain(bad);
    }
  });

  it('warns when enforce or monitor is set without any secret', () => {
    const logger = silentLogger();
    make(
      {
        projects: [
          { widgetKey: 'ab_test_enforce', mode: 'enforce' },
          { widgetKey: 'ab_test_monitor', mode: 'monitor' },
        ],
      },
      logger,
    );
    const logged = JSON.stringify(logger.lines);
    expect(logged).toContain('ab_test_enforce');
    expect(logged).toContain('refused');
    expect(logged).toContain('ab_test_monitor');
  });

  it('a logger that throws on the start-up warning does not stop the API from starting', () => {
    const consoleError = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const logger = {
        ...silentLogger(),
        warn: () => {
          throw new Error('logger down');
        },
      };
      expect(typeof make({ projects: [{ widgetKey: 'ab_test_enforce', mode: 'enforce' }] }, logger)).toBe('function');
      expect(consoleError.mock.calls.flat().join(' ')).toContain('ab_test_enforce');
    } finally {
      consoleError.mockRestore();
    }
  });

  it('accepts a minimal project and the full set of options', () => {
    expect(typeof make({ projects: [{ widgetKey: 'ab_test_min' }] })).toBe('function');
    const logger = silentLogger();
    make(
      {
        projects: [
          { widgetKey: 'ab_test_full', identitySecrets: [SECRET], mode: 'enforce', allowedOrigins: ['https://app.example.com', '*'] },
        ],
        respond: () => 'ok',
        rateLimit: { burst: 5, perSecond: 1 },
      },
      logger,
    );
    expect(logger.lines).toEqual([]);
  });
});
