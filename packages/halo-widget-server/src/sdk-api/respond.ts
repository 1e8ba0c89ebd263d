import type { StoredMessage } from '../store/store.js';

/** What a `respond` function gets for one user message. */
export interface RespondContext {
  message: string;
  /** `null` for an anonymous visitor. */
  user: RespondUser | null;
  /** The conversation so far, oldest first (without this message). */
  history: StoredMessage[];
}

/** The user a message is from, as `respond` sees them. */
export interface RespondUser {
  user_id: string;
  /** Whether this request carried a valid token for `user_id`. */
  verified: boolean;
  /**
   * The trusted claims over the client traits, kept for existing code. For a verified
   * request only the client traits set by verified requests are in it, so nothing an
   * unverified request wrote passes as verified. Read `claims` for what the app's backend vouches for.
   */
  traits: Record<string, unknown>;
  /** This request's trusted claims (its verified token's, less the registered ones); `{}` when unverified. */
  claims?: Record<string, unknown>;
  /** Every client trait stored for the user (`user_traits`, merged over time): untrusted input. */
  clientTraits?: Record<string, unknown>;
  /** The names among `clientTraits` last set by a verified request (monitor mode lets unverified ones in). */
  verifiedTraits?: string[];
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
  // Never a client trait of an unverified request: anyone can send one in this user's name, and
  // the reply is shown in the user's own widget as the support side's words (issue 27).
  const name = user.verified ? text(user.traits.name) : null;
  // A plan is only ever read from the token's claims: a client trait must not talk a user up
  // to a plan they do not have. (Callers from before `claims` existed pass traits alone.)
  const plan = text((user.claims ?? user.traits).plan);
  if (!user.verified) {
    return `Thanks! We got: "${quoted}". (Your identity is not verified, so we cannot look at your account.)`;
  }
  return `Hi ${name ?? user.user_id}${plan ? ` (${plan} plan)` : ''}, verified. We got: "${quoted}" and will look into your account.`;
};
