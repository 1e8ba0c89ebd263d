// Issue 27 (low): in monitor mode, padding with unverified traits made a verified request's own
// write evict its verified `email`, which the attacker then replaced. A real `serve` process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateProjectKeys, signUserToken } from '../../src/index.js';
import { call, configFile, startServe, type ServeProcess } from '../../../../test/helpers/serve-process.js';

const { widgetKey, identitySecret } = generateProjectKeys();
const config = configFile([{ widgetKey, identitySecrets: [identitySecret], mode: 'monitor' }]);

describe('the trait caps under monitor', () => {
  let serve: ServeProcess;
  beforeAll(async () => {
    serve = await startServe(config.file, ['--memory']);
  }, 90_000);
  afterAll(async () => {
    await serve?.stop();
    config.remove();
  });

  it('never evict a verified trait to make room: unverified padding goes first, and the attacker cannot replace the email', async () => {
    const token = await signUserToken({ user_id: 'victim' }, identitySecret, { expiresIn: 600 });
    const verified = (traits: Record<string, unknown>) =>
      call(serve.url, 'identify', { widget_key: widgetKey, user_id: 'victim', user_token: token, user_traits: traits });
    expect((await verified({ email: 'victim@example.com' })).status).toBe(200);
    // The attacker, without a token, pads the record to the 50-key cap.
    const padding = Object.fromEntries(Array.from({ length: 49 }, (_, i) => [`pad${i}`, i]));
    expect((await call(serve.url, 'identify', { widget_key: widgetKey, user_id: 'victim', user_traits: padding })).status).toBe(200);
    // The victim's own next write (a new trait) must not push `email` out.
    await new Promise((done) => setTimeout(done, 1100)); // a later second: `email` is the oldest verified trait
    expect((await verified({ plan: 'pro' })).status).toBe(200);
    // The attacker tries to set the email now.
    await call(serve.url, 'identify', { widget_key: widgetKey, user_id: 'victim', user_traits: { email: 'attacker@evil.test' } });
    const answer = await verified({});
    expect(answer.body.user.traits.email).toBe('victim@example.com');
    expect(answer.body.user.traits.plan).toBe('pro');
  }, 60_000);
});
