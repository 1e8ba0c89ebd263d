// The `require` condition needs its own declaration file so TypeScript reads it as CJS.
import { copyFileSync } from 'node:fs';
copyFileSync('dist/index.d.ts', 'dist/index.d.cts');
