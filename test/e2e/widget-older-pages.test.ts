// The widget loads a long conversation page by page in a real Chromium against a real Halo
// API: the newest 50 on open, 50 older each time the log is scrolled to its top (issue 27,
// docs/protocol.md history-pages, ADR 0816).
import { describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { useEmbedSuite, watch, type Problems } from './browser.js';

const suite = useEmbedSuite({ enforce: true });
let page: Page;
let problems: Problems;

const log = () => page.getByRole('log', { name: 'Messages' });
const bubbles = () => log().locator('.m');
/** The texts of the user's messages shown, top to bottom. */
const mine = () => log().locator('.m.u .t').allTextContents();
/** Where the user's message `text` is on screen (it must stay put while a page goes above it), after `scrollTop = top` when given. */
const topOf = (text: string, top?: number) =>
  log().evaluate(
    (el, [text, top]) => {
      if (top !== undefined) el.scrollTop = top as number;
      const t = [...el.querySelectorAll('.m.u .t')].find((node) => node.textContent === text);
      return Math.round(t!.getBoundingClientRect().top);
    },
    [text, top] as const,
  );

/** 60 chats of a signed-in user: 120 stored messages (each message and its reply). */
async function conversationOf120(userId: string, token: string): Promise<void> {
  for (let n = 1; n <= 60; n++) {
    const res = await fetch(`${suite.api.url}/api/sdk/chat`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ widget_key: suite.widgetKey, user_id: userId, user_token: token, message: `m${n}` }),
    });
    expect(res.status).toBe(200);
  }
}

describe('the widget loads older pages', () => {
  it('shows the 50 newest of 120 messages, then 100 and 120 as the log is scrolled to its top, in order, none twice, without a jump', async () => {
    const userId = 'carol-older-pages';
    const token = await suite.server.signUserToken({ user_id: userId, name: 'Carol' }, suite.secret, { expiresIn: '10m' });
    await conversationOf120(userId, token);
    suite.host.routes.set('/', {
      body: suite.embed({ init: `Halo.init(${JSON.stringify({ widgetKey: suite.widgetKey, userId, userToken: token })})` }),
    });
    page = await suite.newPage({ viewport: { width: 1100, height: 760 } });
    problems = await watch(page);
    await page.goto(suite.host.url);
    await page.getByRole('button', { name: 'Open support chat' }).click();

    // The newest page: messages 71–120, that is m36…m60 and their replies.
    await expect.poll(() => bubbles().count(), { timeout: 15_000 }).toBe(50);
    expect(await mine()).toEqual(Array.from({ length: 25 }, (_, i) => `m${36 + i}`));

    const pages = async (expected: number, oldestShown: string): Promise<void> => {
      // Measured in the same task as the scroll: before its scroll event can load anything.
      const before = await topOf(oldestShown, 0);
      await expect.poll(() => bubbles().count(), { timeout: 15_000 }).toBe(expected);
      // The page went above: the message that was at the top is where it was on screen.
      expect(Math.abs((await topOf(oldestShown)) - before)).toBeLessThanOrEqual(2);
    };
    await pages(100, 'm36');
    expect(await mine()).toEqual(Array.from({ length: 50 }, (_, i) => `m${11 + i}`));
    await pages(120, 'm11');
    expect(await mine()).toEqual(Array.from({ length: 60 }, (_, i) => `m${1 + i}`));

    // The first page said there is nothing older: a last scroll to the top asks for nothing.
    const requests: string[] = [];
    page.on('request', (r) => r.url().endsWith('/api/sdk/history') && requests.push(r.postData() ?? ''));
    await log().evaluate((el) => (el.scrollTop = 0));
    await log().evaluate((el) => el.dispatchEvent(new Event('scroll')));
    await new Promise((r) => setTimeout(r, 500));
    expect(requests).toEqual([]);
    expect(await bubbles().count()).toBe(120);
    expect(problems.errors).toEqual([]);
  }, 90_000);
});
