import { describe, expect, it } from 'vitest';
import { readAiApiKey, redactAiConfig, resolveAiConfig } from '../../src/ai/ai-config.js';
import { isAiError } from '../../src/ai/ai-error.js';

const VALID = { baseUrl: 'https://api.openai.com/v1/', model: 'gpt-4o-mini', apiKeyEnv: 'HALO_AI_API_KEY', instructions: 'Be kind.' };
const KEY = 'sk-proj-abcdef0123456789abcdef';

function messageOf(raw: unknown, where?: string): string {
  try {
    resolveAiConfig(raw, where);
  } catch (error) {
    if (isAiError(error) && error.code === 'invalid_ai_config') return error.message;
    throw error;
  }
  throw new Error('expected resolveAiConfig to throw');
}

describe('resolveAiConfig', () => {
  it('fills every default in one place, and keeps the base URL without its trailing slash', () => {
    expect(resolveAiConfig(VALID)).toEqual({
      baseUrl: 'https://api.openai.com/v1',
      model: 'gpt-4o-mini',
      apiKeyEnv: 'HALO_AI_API_KEY',
      instructions: 'Be kind.',
      timeoutMs: 30_000,
      maxTokens: 512,
      callsPerMinute: 60,
      includeClientTraits: false,
      historyWindow: 20,
      historyChars: 12_000,
      handoffTool: true,
    });
  });

  it('keeps given values over the defaults', () => {
    const resolved = resolveAiConfig({ ...VALID, timeoutMs: 5_000, includeClientTraits: true, historyWindow: 4, handoffTool: false });
    expect(resolved).toMatchObject({ timeoutMs: 5_000, includeClientTraits: true, historyWindow: 4, handoffTool: false });
  });

  it.each([
    [{ ...VALID, baseUrl: 'ftp://x/v1' }, 'ai.baseUrl'],
    [{ ...VALID, baseUrl: 'not a url' }, 'ai.baseUrl'],
    [{ ...VALID, model: '' }, 'ai.model'],
    [{ ...VALID, instructions: 42 }, 'ai.instructions'],
    [{ ...VALID, apiKeyEnv: 'HALO AI' }, 'ai.apiKeyEnv'],
    [{ ...VALID, timeoutMs: 0 }, 'ai.timeoutMs'],
    [{ ...VALID, maxTokens: 1.5 }, 'ai.maxTokens'],
    [{ ...VALID, callsPerMinute: '60' }, 'ai.callsPerMinute'],
    [{ ...VALID, includeClientTraits: 'yes' }, 'ai.includeClientTraits'],
    [{ ...VALID, historyWindow: 0 }, 'ai.historyWindow'],
    [{ ...VALID, modle: 'x' }, 'ai.modle is not an option'],
  ])('names the field of a bad value (%#)', (raw, field) => {
    expect(messageOf(raw)).toContain(field);
  });

  it('prefixes the field with where the section is', () => {
    expect(messageOf({ ...VALID, model: '' }, 'projects[2].ai')).toContain('projects[2].ai.model');
  });

  it('refuses a key in the config, without quoting it', () => {
    const message = messageOf({ ...VALID, apiKey: KEY });
    expect(message).toContain('ai.apiKeyEnv');
    expect(message).not.toContain(KEY);
  });

  it('refuses a key pasted into apiKeyEnv, without quoting it', () => {
    const message = messageOf({ ...VALID, apiKeyEnv: KEY });
    expect(message).toContain('not the key itself');
    expect(message).not.toContain(KEY);
  });

  it('refuses credentials in the base URL, without quoting them', () => {
    for (const baseUrl of [`https://user:${KEY}@api.example.com/v1`, `https://api.example.com/v1?api-key=${KEY}`]) {
      const message = messageOf({ ...VALID, baseUrl });
      expect(message).toContain('must not carry credentials');
      expect(message).not.toContain(KEY);
    }
  });

  it('accepts a plain query such as Azure api-version', () => {
    expect(resolveAiConfig({ ...VALID, baseUrl: 'https://acme.openai.azure.com/openai/v1?api-version=preview' }).baseUrl).toContain(
      'api-version=preview',
    );
  });
});

describe('readAiApiKey', () => {
  it('reads the key from the named environment variable only', () => {
    expect(readAiApiKey({ apiKeyEnv: 'MY_KEY' }, { MY_KEY: KEY, HALO_AI_API_KEY: 'other', OPENAI_API_KEY: 'other' })).toBe(KEY);
  });

  it('names the variable when it is unset or empty', () => {
    for (const env of [{}, { MY_KEY: '  ' }]) {
      expect(() => readAiApiKey({ apiKeyEnv: 'MY_KEY' }, env)).toThrow(/MY_KEY/);
    }
  });
});

describe('redactAiConfig', () => {
  it('says whether the key is set, and never holds it', () => {
    const view = redactAiConfig(resolveAiConfig(VALID), { HALO_AI_API_KEY: KEY });
    expect(view.apiKeySet).toBe(true);
    expect(JSON.stringify(view)).not.toContain(KEY);
    expect(redactAiConfig(resolveAiConfig(VALID), {}).apiKeySet).toBe(false);
  });

  it('drops credentials from a base URL built without resolveAiConfig', () => {
    const config = { ...resolveAiConfig(VALID), baseUrl: `https://u:${KEY}@api.example.com/v1?key=${KEY}` };
    expect(JSON.stringify(redactAiConfig(config, {}))).not.toContain(KEY);
  });
});
