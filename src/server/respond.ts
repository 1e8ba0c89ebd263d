import type { StoredMessage } from './store.js';

/** What a `respond` function gets for one user message. */
export interface RespondContext {
  message: string;
  /** `null` for an anonymous visitor. `traits`: the trusted claims win over the client's. */
  user: { user_id: string; traits: Record<string, unknown>; verified: boolean } | null;
  /** The conversation so far, oldest first (without this message). */
  history: StoredMessage[];
}

/** Produces the assistant's reply text. */
export type Respond = (ctx: RespondContext) => string | Promise<string>;

const text = (value: unknown): string | null => (typeof value === 'string' && value.trim() ? value.trim().slice(0, 80) : null);

/**
 * The default reply. No model is reachable here, so it is deterministic, and it shows
 * which traits the server trusted: a verified user is greeted by name and plan.
 */
export const defaultRespond: Respond = ({ message, user }) => {
  const quoted = message.length > 200 ? `${[...message].slice(0, 200).join('')}…` : message;
  if (!user) return `Thanks for your message: "${quoted}". A member of our team will reply here soon.`;
  const name = text(user.traits.name);
  const plan = text(user.traits.plan);
  if (!user.verified) {
    return `Thanks${name ? `, ${name}` : ''}! We got: "${quoted}". (Your identity is not verified, so we cannot look at your account.)`;
  }
  return `Hi ${name ?? user.user_id}${plan ? ` (${plan} plan)` : ''}, verified. We got: "${quoted}" and will look into your account.`;
};
