#!/usr/bin/env -S node --
// `node --`: Node 20 otherwise reads a `--env-file` flag meant for berth as its own, even after the script name.
import { main } from '../dist/cli/main.js';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    // main() renders every error itself; reaching this is a bug in berth.
    process.stderr.write(`berth: internal error: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 2;
  },
);
