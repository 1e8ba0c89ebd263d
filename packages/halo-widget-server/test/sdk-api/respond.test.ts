import { describe, expect, it } from 'vitest';
import { defaultRespond } from '../../src/index.js';

describe('defaultRespond', () => {
  it('greets a verified user by the trusted name and plan, and echoes the message', async () => {
    const text = await defaultRespond({
      message: 'Where is my invoice?',
      user: { user_id: 'u1', traits: { name: 'Alice', plan: 'pro' }, verified: true },
      history: [],
    });
    expect(text).toContain('Alice');
    expect(text).toContain('pro');
    expect(text).toContain('Where is my invoice?');
  });

  it('reads the plan from the trusted claims only, when it is given them: a client trait cannot claim a plan', async () => {
    const user = {
      user_id: 'u1',
      verified: true,
      traits: { name: 'Alice', plan: 'enterprise' },
      claims: {},
      clientTraits: { plan: 'enterprise' },
      verifiedTraits: ['plan'],
    };
    const text = await defaultRespond({ message: 'hi', user, history: [] });
    expect(text).not.toContain('enterprise');
    expect(await defaultRespond({ message: 'hi', user: { ...user, claims: { plan: 'pro' } }, history: [] })).toContain('(pro plan)');
  });

  it('is deterministic', async () => {
    const ctx = { message: 'hi', user: { user_id: 'u1', traits: { name: 'Alice' }, verified: true }, history: [] };
    expect(await defaultRespond(ctx)).toBe(await defaultRespond(ctx));
  });

  it('says so when the user is not verified, and never claims a plan', async () => {
    const text = await defaultRespond({
      message: 'hi',
      user: { user_id: 'u1', traits: { name: 'Al', plan: 'enterprise' }, verified: false },
      history: [],
    });
    expect(text).toContain('not verified');
    expect(text).not.toContain('enterprise');
  });

  it('answers an anonymous visitor without a name', async () => {
    const text = await defaultRespond({ message: 'hello there', user: null, history: [] });
    expect(text).toContain('hello there');
  });

  it('quotes at most 200 characters of a long message', async () => {
    const text = await defaultRespond({ message: '😀'.repeat(4000), user: null, history: [] });
    expect([...text].length).toBeLessThan(400);
  });
});
