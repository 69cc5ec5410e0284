#!/usr/bin/env node
// Entry point of the `duckmig` command (bin/duckmig.js runs the compiled copy): runs the
// dispatcher and sets the exit code.
import { EXIT } from './exit-codes.js';
import { main } from './cli.js';
import { sanitizeForTerminal } from './terminal-text.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`duckmig: ${sanitizeForTerminal((err as Error).stack ?? String(err))}\n`);
    process.exitCode = EXIT.failed;
  },
);
