// Behind a trusted https proxy the session cookie is marked Secure; a plain-http request
// through the same proxy gets it without.
import { describe, expect, it } from 'vitest';
import { PASSWORD, useAgentServer } from '../../../../test/helpers/agent-http.js';

const s = useAgentServer({ trustProxy: 1 });

describe('session cookie behind a proxy', () => {
  it('is Secure when the trusted proxy says the request came over https', async () => {
    const login = (proto: string) =>
      s.call('POST', '/api/agent/login', { body: { email: 'ann@x.io', password: PASSWORD }, headers: { 'X-Forwarded-Proto': proto } });
    expect(String(((await login('https')).headers['set-cookie'] as string[])[0])).toMatch(/; HttpOnly; SameSite=Strict; Secure$/);
    expect(String(((await login('http')).headers['set-cookie'] as string[])[0])).not.toContain('Secure');
  });
});
