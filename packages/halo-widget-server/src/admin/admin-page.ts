import type { ServerResponse } from 'node:http';
import { pageFiles } from '../http/page-files.js';

const FILES: Record<string, [string, string]> = {
  '/admin': ['admin.html', 'text/html; charset=utf-8'],
  '/admin/': ['admin.html', 'text/html; charset=utf-8'],
  '/admin/admin.js': ['admin.js', 'text/javascript; charset=utf-8'],
  '/admin/admin.css': ['admin.css', 'text/css; charset=utf-8'],
};

/** No inline script or style, no other origin, no framing, no form posts: the page's script does everything through `fetch`. */
export const ADMIN_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** The headers of every file of the operator pages (`/admin`, `/inbox`): strict CSP, no framing, no referrer, not cached. */
export const PAGE_HEADERS = {
  'Cache-Control': 'no-store',
  'Content-Security-Policy': ADMIN_CSP,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
} as const;

const read = pageFiles(import.meta.url, 'admin-page');

/** Whether `path` is one of the admin page's files. */
export function isAdminPagePath(path: string): boolean {
  return Object.hasOwn(FILES, path);
}

/**
 * Serves the settings page (`/admin`, its script and its style sheet) under a strict CSP.
 * `enabled` false (no operator token) answers 404, like the rest of the admin surface.
 */
export function serveAdminPage(res: ServerResponse, path: string, head: boolean, enabled: boolean): void {
  const entry = FILES[path];
  const bytes = enabled && entry ? read(entry[0]) : null;
  if (!entry || !bytes) {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end('Not found\n');
    return;
  }
  res.writeHead(200, { 'Content-Type': entry[1], 'Content-Length': bytes.length, ...PAGE_HEADERS });
  res.end(head ? undefined : bytes);
}
