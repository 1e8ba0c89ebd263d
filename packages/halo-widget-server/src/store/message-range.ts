import type { MessagePage, MessageRange } from './conversation-model.js';

/** The most messages one read returns, whatever a caller asks: a conversation is never read whole. */
export const MAX_PAGE = 200;

/** The seqs a range covers in a conversation whose messages run from `first` to `last`, oldest first. */
export function pageBounds(first: number, last: number, range: MessageRange): { from: number; to: number; hasMore: boolean } {
  const limit = Math.min(Math.max(1, Math.floor(range.limit)), MAX_PAGE);
  if (range.after !== undefined) {
    const from = Math.max(first, range.after + 1);
    const to = Math.min(last, from + limit - 1);
    return { from, to, hasMore: to < last };
  }
  const to = Math.min(last, (range.before ?? last + 1) - 1);
  const from = Math.max(first, to - limit + 1);
  return { from, to, hasMore: from > first };
}

/** A page read from an in-memory list by seq (the memory store). */
export function readMessagePage<M>(
  first: number,
  last: number,
  range: MessageRange,
  at: (seq: number) => M,
): { messages: M[]; has_more: boolean } {
  const { from, to, hasMore } = pageBounds(first, last, range);
  const messages: M[] = [];
  for (let seq = from; seq <= to; seq++) messages.push(at(seq));
  return { messages, has_more: hasMore && messages.length > 0 };
}

export type { MessagePage };
