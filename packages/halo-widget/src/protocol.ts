// Limits of the wire protocol that the browser code and the server must agree on, defined
// once so the widget's maxlength, the SDK's check and the server's check cannot drift.

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
