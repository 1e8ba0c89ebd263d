import type { ServerResponse } from 'node:http';
import { PAGE_HEADERS } from '../admin/admin-page.js';
import { pageFiles } from '../http/page-files.js';

const FILES: Record<string, [string, string]> = {
  '/inbox': ['inbox.html', 'text/html; charset=utf-8'],
  '/inbox/': ['inbox.html', 'text/html; charset=utf-8'],
  '/inbox/inbox.js': ['inbox.js', 'text/javascript; charset=utf-8'],
  '/inbox/inbox.css': ['inbox.css', 'text/css; charset=utf-8'],
};

const read = pageFiles(import.meta.url, 'inbox-page');

/** Whether `path` is one of the inbox page's files. */
export const isInboxPagePath = (path: string): boolean => Object.hasOwn(FILES, path);

/** Serves the inbox page (`/inbox`, its script and style sheet) under the `/admin` page's strict CSP. */
export function serveInboxPage(res: ServerResponse, path: string, head: boolean): void {
  const entry = FILES[path];
  const bytes = entry ? read(entry[0]) : null;
  if (!entry || !bytes) {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end('Not found\n');
    return;
  }
  res.writeHead(200, { 'Content-Type': entry[1], 'Content-Length': bytes.length, ...PAGE_HEADERS });
  res.end(head ? undefined : bytes);
}
