import { parseDuration } from '../../project/canonical/durations.js';
import { ComposeError } from '../../project/errors.js';
import type { KeyPath } from '../../project/key-path.js';

/**
 * A duration attribute in milliseconds; `fallback` when absent. With `zeroIsDefault` (healthcheck
 * timings), 0 also means "the default", as it does for Docker.
 */
export function durationMs(
  value: string | undefined,
  fallback: number,
  keyPath: KeyPath,
  zeroIsDefault = false,
): number {
  if (value === undefined) return fallback;
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch (error) {
    throw new ComposeError(`invalid duration "${value}"`, {
      keyPath,
      hint: 'use a duration such as 10s, 1m30s or 500ms',
      cause: error,
    });
  }
  if (ms < 0)
    throw new ComposeError(`negative duration "${value}"`, { keyPath, hint: 'use a positive duration' });
  return ms === 0 && zeroIsDefault ? fallback : ms;
}
