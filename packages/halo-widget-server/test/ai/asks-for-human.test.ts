import { describe, expect, it } from 'vitest';
import { asksForHuman } from '../../src/ai/asks-for-human.js';

describe('asksForHuman', () => {
  it.each([
    'Can I talk to a human?',
    'I want to speak with someone',
    'chat with a real person please',
    'connect me to an agent',
    'Put me through to your support team',
    'I need a live agent',
    'human please',
    'Agent!',
  ])('hears a request for a person in "%s"', (text) => {
    expect(asksForHuman(text)).toBe(true);
  });

  it.each([
    'How do I add a person to my team?',
    'Is the agent field required?',
    'How do I transfer ownership to someone else?',
    'What does the human-readable id mean?',
    'I talked to my manager about the invoice',
  ])('hears no request for a person in "%s"', (text) => {
    expect(asksForHuman(text)).toBe(false);
  });
});
