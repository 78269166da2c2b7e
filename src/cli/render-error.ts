import { CommanderError } from 'commander';

import { ComposeError, ComposeErrors } from '../project/errors.js';
import { renderWarning, type LoadWarning } from '../project/warnings.js';
import type { CliIO } from './io.js';

/** Prints an error for a person: the message alone, a stack trace only when asked for. */
export function renderError(error: unknown, io: CliIO, verbose: boolean): number {
  if (error instanceof CommanderError) {
    // commander printed its usage message already; `exec` and `run` end this way with their command's code.
    return error.exitCode;
  }
  const debug = verbose || io.env.BERTH_DEBUG === '1';
  if (error instanceof ComposeErrors) {
    for (const e of error.errors) io.stderr(`error: ${e.message}\n`);
  } else if (error instanceof ComposeError) {
    io.stderr(`error: ${error.message}\n`);
  } else {
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(`error: ${message}\n`);
    if (!debug)
      io.stderr('(this is a bug in berth; run again with --verbose or BERTH_DEBUG=1 for details)\n');
  }
  if (debug && error instanceof Error && error.stack) io.stderr(`${error.stack}\n`);
  return 1;
}

export function renderWarnings(warnings: readonly LoadWarning[], io: CliIO): void {
  for (const w of warnings) io.stderr(`WARN ${renderWarning(w)}\n`);
}
