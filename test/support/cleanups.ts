import { afterEach } from 'vitest';

/**
 * Registers, in the calling test file, an afterEach that runs every clean-up deferred during the test
 * (latest first), even when the test failed, and fails the test with the first clean-up error after
 * all have run. Returns the function that defers one.
 */
export function cleanupsAfterEach(timeoutMs?: number): (cleanup: () => Promise<void>) => void {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    const errors: unknown[] = [];
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((error: unknown) => errors.push(error));
    }
    if (errors.length > 0) throw errors[0];
  }, timeoutMs);
  return (cleanup) => {
    cleanups.push(cleanup);
  };
}
