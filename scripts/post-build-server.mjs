// The service's build, after rollup and tsc: the admin page's static files next to the
// bundled code that serves them (admin-page.ts looks for ./admin-page beside itself).
import { cpSync } from 'node:fs';

cpSync('src/admin/page', 'dist/admin-page', { recursive: true });
