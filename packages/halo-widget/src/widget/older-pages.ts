import type { ChatMessage, HistoryOptions, HistoryPage } from '../types.js';

/** Loads the conversation's older pages into the log as the user scrolls up to its top. */
export interface OlderPages {
  /**
   * Starts over from a newest page (or from nothing, after a user switch): a request still
   * under way for the previous page is dropped when it answers.
   */
  reset(page?: HistoryPage): void;
}

// Within this many pixels of the top counts as "at the top": a fling rarely stops at exactly 0.
const NEAR_TOP = 40;

/**
 * Watches `log`'s scrolling: at its top, when the last page said `hasMore`, asks for the
 * page before the oldest message shown and gives it to `prepend`, keeping the messages on
 * screen where they were. One request at a time; a failed one is retried on the next scroll.
 */
export function olderPages(
  log: HTMLElement,
  load: (options: HistoryOptions) => Promise<HistoryPage>,
  prepend: (messages: ChatMessage[]) => void,
): OlderPages {
  let oldest: number | undefined;
  let hasMore = false;
  let busy = false;
  // Bumped by reset: an answer for an earlier conversation (another user's) is not shown.
  let run = 0;

  const take = (page?: HistoryPage): void => {
    const seq = page?.[0]?.seq;
    // A page without seqs (an older server) cannot be continued from.
    hasMore = !!page?.hasMore && seq !== undefined;
    if (seq !== undefined) oldest = seq;
  };

  const check = (): void => {
    // A hidden log (a closed panel) measures 0 high and "at the top": it must not load them all.
    if (busy || !hasMore || oldest === undefined || !log.clientHeight || log.scrollTop > NEAR_TOP) return;
    busy = true;
    const mine = run;
    load({ before: oldest }).then(
      (page) => {
        if (mine !== run) return;
        busy = false;
        // Measured from the bottom: what was on screen stays there as the page goes above it.
        const fromBottom = log.scrollHeight - log.scrollTop;
        prepend(page);
        log.scrollTop = log.scrollHeight - fromBottom;
        take(page);
        // A short page may leave the log still at its top, with nothing to scroll: go on.
        check();
      },
      // Already reported to onError by the SDK: the next scroll to the top tries again.
      () => mine === run && (busy = false),
    );
  };

  log.addEventListener('scroll', check);
  return {
    reset(page) {
      run++;
      busy = false;
      oldest = undefined;
      take(page);
      check();
    },
  };
}
