// The service's build, after rollup and tsc: the admin page's static files next to the
// bundled code that serves them (admin-page.ts looks for ./admin-page beside itself, inbox-page.ts
// for ./inbox-page).
import { cpSync } from 'node:fs';

cpSync('src/admin/page', 'dist/admin-page', { recursive: true });
cpSync('src/inbox/page', 'dist/inbox-page', { recursive: true });
