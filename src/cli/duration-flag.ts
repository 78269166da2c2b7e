import { parseDuration } from '../project/canonical/durations.js';
import { ComposeError } from '../project/errors.js';

/** A flag that takes seconds (`30`) or a duration (`1m30s`), in milliseconds. */
export function parseDurationFlag(value: string, flag: string): number {
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value) * 1000;
  try {
    return parseDuration(value.trim());
  } catch {
    throw new ComposeError(`invalid ${flag} "${value}"`, { hint: 'give seconds (30) or a duration (1m30s)' });
  }
}

/** `-t 10`: whole seconds, as docker compose takes them. */
export function parseSeconds(value: string, flag: string): number {
  const seconds = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(seconds)) {
    throw new ComposeError(`invalid ${flag} "${value}"`, { hint: 'give a whole number of seconds, e.g. 10' });
  }
  return seconds;
}
