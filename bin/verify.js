#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm install` through the prepare script).
import { main } from '../dist/src/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`verify: internal error: ${e && e.stack ? e.stack : e}\n`);
    process.stdout.write('error\n');
    process.exit(3);
  },
);
