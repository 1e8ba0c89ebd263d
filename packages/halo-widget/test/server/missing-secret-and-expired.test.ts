// Issue 26's token-helper misses: an unset secret is named as missing (not wrong), and the CLI
// signs the already-expired token docs/server.md promises.
import { describe, expect, it } from 'vitest';
import { main, type CliIO } from '../../src/server/cli.js';
import { generateProjectKeys, signUserToken } from '../../src/server/index.js';

async function runMain(argv: string[], env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const io: CliIO = { out: (text) => void (out += text), err: (text) => void (err += text), env };
  return { code: await main(argv, io), out, err };
}

describe('token helpers', () => {
  it('signUserToken with an unset secret (process.env.X read where X is not set) says the secret is missing, naming HALO_IDENTITY_SECRET', async () => {
    await expect(signUserToken({ user_id: 'alice' }, undefined as unknown as string)).rejects.toThrow(
      /no secret was passed.*HALO_IDENTITY_SECRET/,
    );
    await expect(signUserToken({ user_id: 'alice' }, '')).rejects.toThrow(/no secret was passed \(got an empty string\)/);
    await expect(signUserToken({ user_id: 'alice' }, 'wrong')).rejects.toThrow(/must be the project's identity secret/);
  });

  it('sign --expires-in=-60 prints a token that expired a minute ago', async () => {
    const { identitySecret } = generateProjectKeys();
    const result = await runMain(['sign', '--user-id', 'alice', '--expires-in=-60'], { HALO_IDENTITY_SECRET: identitySecret });
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    const claims = JSON.parse(Buffer.from(result.out.trim().split('.')[1]!, 'base64url').toString()) as { exp: number };
    expect(claims.exp).toBeLessThan(Date.now() / 1000 - 30);
  });
});
