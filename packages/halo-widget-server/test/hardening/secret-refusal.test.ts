// Issue 27 (low): the secret refusal missed a secret without its prefix, in query strings and
// headers, and a secret sent as `user_token` under enforce got `token_invalid` without the
// leak warning. A real `serve` process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateProjectKeys } from '../../src/index.js';
import { configFile, startServe, type ServeProcess } from '../../../../test/helpers/serve-process.js';

const { widgetKey, identitySecret } = generateProjectKeys();
const config = configFile([{ widgetKey, identitySecrets: [identitySecret], mode: 'enforce' }]);
const bare = identitySecret.replace(/^ha_secret_/, '');

describe('a secret anywhere in a request', () => {
  let serve: ServeProcess;
  beforeAll(async () => {
    serve = await startServe(config.file, ['--memory']);
  }, 90_000);
  afterAll(async () => {
    await serve?.stop();
    config.remove();
  });

  const send = (body: Record<string, unknown>, query = '', headers: Record<string, string> = {}) =>
    fetch(`${serve.url}/api/sdk/identify${query}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify({ widget_key: widgetKey, visitor_id: 'v', ...body }),
    });

  it('is refused with 400 naming where, with or without its prefix, in any case, in the body, the query string or a header', async () => {
    const cases: [string, Promise<Response>][] = [
      ['user_traits.note', send({ user_traits: { note: `key=${bare}` } })],
      ['user_traits.note', send({ user_traits: { note: bare.toUpperCase() } })],
      ['query string', send({}, `?debug=${encodeURIComponent(bare)}`)],
      ['header x-debug', send({}, '', { 'X-Debug': `secret ${bare}` })],
    ];
    for (const [where, pending] of cases) {
      const answer = await pending;
      expect(answer.status, where).toBe(400);
      const body = (await answer.json()) as { error: { message: string } };
      expect(body.error.message).toContain(`(in ${where})`);
      expect(JSON.stringify(body)).not.toContain(bare);
    }
    expect(serve.output()).not.toContain(bare);
  }, 60_000);

  it('sent as user_token under enforce is a leak (400 and the rotate warning), not token_invalid', async () => {
    const answer = await send({ user_id: 'alice', user_token: identitySecret, visitor_id: undefined });
    expect(answer.status).toBe(400);
    expect(((await answer.json()) as { error: { message: string } }).error.message).toContain('(in user_token)');
    // The warning is written to the process's stderr, which may reach us after the answer.
    await expect.poll(() => serve.output()).toMatch(/user_token contains an identity secret\. Rotate that secret/);
    expect(serve.output()).not.toContain(bare);
  }, 60_000);
});
