// What the browser code and the server must agree on — limits, the secret's prefix, the clock
// tolerance, the 403 reasons, the default mode, the message's shape — defined once and
// imported by both packages (`halo-widget/protocol`), so the widget's maxlength, the SDK's
// checks and the server's cannot drift (test/source-rules.test.ts keeps it so).

/** Longest chat message, in code points, not UTF-16 units (request-limits). */
export const MAX_MESSAGE_CHARS = 4000;

/** Every identity secret starts with this; a value holding it never leaves the backend (no-secrets-in-browser). */
export const SECRET_PREFIX = 'ha_secret_';

/** True when `value` is a string that holds an identity secret anywhere (`"key=" + secret` too, not only at its start). */
export function isSecret(value: unknown): boolean {
  return typeof value === 'string' && value.includes(SECRET_PREFIX);
}

/** Longest `client_message_id` the API accepts (request-limits). */
export const MAX_CLIENT_MESSAGE_ID = 100;

/** Seconds a token's `exp`, `nbf` and `iat` may be off between the clocks (clock-tolerance). */
export const CLOCK_TOLERANCE_SECONDS = 30;

/** The `reason` of a `403 identity_verification_failed` (retry-once-on-403). */
export type TokenRejectionReason = 'token_missing' | 'token_expired' | 'token_invalid' | 'user_mismatch';

/** How a project treats user tokens (verification-modes). */
export type VerificationMode = 'off' | 'monitor' | 'enforce';

/** verification-modes: the mode of a project that names none — `monitor` once it has a secret, else `off`. */
export function defaultMode(hasSecret: boolean): VerificationMode {
  return hasSecret ? 'monitor' : 'off';
}

/** A message as the wire protocol carries it (`chat`, `history`, the live channel). */
export interface ChatMessage {
  id: string;
  conversation_id: string;
  role: 'user' | 'assistant';
  text: string;
  /** ISO 8601. */
  created_at: string;
  /** Who wrote it, on messages from the live channel: the user, the AI, or a person on the support team (`role` is then `assistant`). */
  author?: 'user' | 'assistant' | 'agent';
  /** The support agent, for `author: 'agent'`. */
  agent?: { id: string; name: string };
  /** Its place in the conversation (from 1, without gaps), where the server gives it: the live channel's cursor. */
  seq?: number;
  /**
   * Present (always `true`) on a message stored by a request whose token was not verified
   * (`monitor` or `off` mode): the server could not tell that the user wrote it.
   */
  unverified?: true;
}
