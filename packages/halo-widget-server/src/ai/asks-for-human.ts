// A small, conservative list: a false positive hands a conversation to a person needlessly,
// a false negative leaves it to the model, which is also offered handoff_to_human. So each
// pattern needs the request shape ("talk to …", "connect me to …"), not a lone word like "person".
const WHO = String.raw`(?:a\s+|an\s+|the\s+|some\s+|your\s+)?(?:real\s+|live\s+|actual\s+)?(?:human|person|agent|someone|somebody|representative|operator|staff|support team)\b`;
const PATTERNS: readonly RegExp[] = [
  // "talk to a human", "can I speak with someone", "chat with a real person"
  new RegExp(String.raw`\b(?:talk|speak|chat)\s+(?:to|with)\s+${WHO}`, 'i'),
  // "connect me to an agent", "put me through to a person"
  new RegExp(String.raw`\b(?:connect|transfer|put)\s+me\s+(?:through\s+)?(?:to|with)\s+${WHO}`, 'i'),
  // "I want a real person", "live agent"
  /\b(?:real|live|actual)\s+(?:human|person|agent)\b/i,
  // "human please", "agent!"
  /^\s*(?:a\s+)?(?:human|agent|operator|representative)(?:\s+please|\s+pls)?\s*[.!?]*\s*$/i,
];

/**
 * Whether a user's message asks for a person ("talk to a human", "a real person", "agent please").
 * The plain-language fallback for models that do not call `handoff_to_human`.
 */
export function asksForHuman(text: string): boolean {
  // Only the start of a long message is read: the patterns are cheap, but a paste of a whole log is not a request.
  const sample = text.length > 2_000 ? text.slice(0, 2_000) : text;
  return PATTERNS.some((pattern) => pattern.test(sample));
}
