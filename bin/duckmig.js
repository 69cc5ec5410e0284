#!/usr/bin/env node
// The `duckmig` command: runs the compiled CLI (built by `npm ci` / `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(main)) {
  console.error('duckmig: the CLI is not built yet (dist/cli/main.js is missing); run `npm run build` in the duckmig folder');
  process.exit(2);
}
await import(main);
