/** Where the CLI writes; tests and the library-facing entry point can swap it. */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  cwd: string;
  readStdin?: () => Promise<string>;
  stdoutIsTTY?: boolean;
  stderrIsTTY?: boolean;
  /**
   * Resolves once stdout and stderr have taken what was written so far (at once when they keep up), so
   * that a command printing without end (`logs -f`) waits for a slow reader instead of buffering.
   */
  drained?: () => Promise<void>;
}

export function processIO(): CliIO {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    stdoutIsTTY: process.stdout.isTTY === true,
    stderrIsTTY: process.stderr.isTTY === true,
    drained: async () => {
      await drainedStream(process.stdout);
      await drainedStream(process.stderr);
    },
  };
}

/** Waits for a stream's buffer to empty, or for the stream to end (a closed pipe never drains). */
function drainedStream(stream: NodeJS.WriteStream): Promise<void> {
  if (!stream.writableNeedDrain || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      stream.off('drain', done).off('close', done).off('error', done);
      resolve();
    };
    stream.on('drain', done).on('close', done).on('error', done);
  });
}
