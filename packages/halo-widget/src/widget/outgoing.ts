import type { IdentityState, PendingMessage } from '../types.js';

// What the widget tracks of a message it sent, the line its bubble shows until delivered, and
// which failures of it mean the message is no longer this log's.

type BubbleState = 'sending' | 'failed' | 'sent';

/** A message this widget sent, until the SDK has delivered it. */
export interface Outgoing {
  el: HTMLElement;
  meta: HTMLElement;
  text: string;
  /** Kept across Retry, so the server stores the message once even if a reply was lost. */
  id: string;
  state: BubbleState;
  /** What the SDK's outbox says of it (retrying, held…), while it is pending. */
  pending?: PendingMessage;
}

/** "Sending…", "Retrying in Ns" or the queued notice: the SDK keeps trying, the text is safe. */
export function progress(out: Outgoing, identity: IdentityState): string {
  const p = out.pending;
  if (identity.status === 'expired' || p?.state === 'held') return 'Queued: sends once you are reconnected';
  if (p?.state !== 'retrying') return 'Sending…';
  if (p.nextAttemptAt === null) return 'Waiting for the network…';
  return `Not delivered yet. Retrying in ${Math.max(1, Math.ceil((p.nextAttemptAt - Date.now()) / 1000))}s`;
}

/** Whether a failed send's error has one of `codes` (`identity_changed`, `shutdown`: not this log's message). */
export function isCode(error: unknown, ...codes: string[]): boolean {
  return codes.includes((error as { code?: string } | null)?.code ?? '');
}
