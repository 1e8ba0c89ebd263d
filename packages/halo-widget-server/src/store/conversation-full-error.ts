/** Which cap a write would have passed. */
export type ConversationCap = 'messages' | 'bytes';

/**
 * A write refused because its conversation is at a cap (messages or bytes): nothing was
 * stored, nothing older was dropped. The API answers `409 conversation_full`
 * (docs/protocol.md, conversation-caps).
 */
export class ConversationFullError extends Error {
  readonly code = 'conversation_full';
  override readonly name = 'ConversationFullError';
  constructor(readonly cap: ConversationCap) {
    super(`The conversation is full (its ${cap} cap is reached); start a new one.`);
  }
}

/** Whether `error` is a {@link ConversationFullError}, also across module copies (by `name`). */
export function isConversationFull(error: unknown): error is ConversationFullError {
  return error instanceof Error && error.name === 'ConversationFullError';
}

/** The caps with their defaults filled in. */
export function resolveCaps(caps: { maxMessages?: number; maxBytes?: number } = {}): { maxMessages: number; maxBytes: number } {
  const check = (value: number | undefined, fallback: number, name: string) => {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value < 2) throw new TypeError(`conversation caps: ${name} must be an integer of at least 2.`);
    return value;
  };
  return { maxMessages: check(caps.maxMessages, 10_000, 'maxMessages'), maxBytes: check(caps.maxBytes, 5_000_000, 'maxBytes') };
}
