/** Nanoseconds per unit of Go's duration syntax (plus `d` and `w`, which compose's parser also accepts). */
const UNIT_NANOS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
  d: 86400e9,
  w: 604800e9,
};

const TERM = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d|w)/;

/**
 * Parses a Go duration (`1h2m3.5s`, `300ms`, `10us`) into milliseconds. A bare number is only accepted when
 * it is 0, as in compose: any other needs a unit. Throws an Error with the reason otherwise.
 */
export function parseDuration(text: string | number): number {
  const source = typeof text === 'number' ? String(text) : text.trim();
  let rest = source;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest.startsWith('-')) sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw new Error(`invalid duration "${source}"`);
  let nanos = 0;
  while (rest !== '') {
    const match = TERM.exec(rest);
    if (!match) {
      if (/^[\d.]+$/.test(rest)) throw new Error(`missing unit in duration "${source}"`);
      throw new Error(`invalid duration "${source}"`);
    }
    nanos += Number(match[1]) * UNIT_NANOS[match[2]!]!;
    rest = rest.slice(match[0].length);
  }
  return (sign * Math.round(nanos)) / 1e6;
}

/** Formats milliseconds the way Go's time.Duration prints: `1m30s`, `500ms`, `1h0m0s`, `0s`, `1.5µs`. */
export function formatDuration(ms: number): string {
  let nanos = Math.round(ms * 1e6);
  if (nanos === 0) return '0s';
  const sign = nanos < 0 ? '-' : '';
  nanos = Math.abs(nanos);
  if (nanos < 1e3) return `${sign}${nanos}ns`;
  if (nanos < 1e6) return `${sign}${decimal(nanos, 1e3)}µs`;
  if (nanos < 1e9) return `${sign}${decimal(nanos, 1e6)}ms`;
  const hours = Math.floor(nanos / 3600e9);
  nanos -= hours * 3600e9;
  const minutes = Math.floor(nanos / 60e9);
  nanos -= minutes * 60e9;
  const seconds = `${decimal(nanos, 1e9)}s`;
  if (hours > 0) return `${sign}${hours}h${minutes}m${seconds}`;
  if (minutes > 0) return `${sign}${minutes}m${seconds}`;
  return `${sign}${seconds}`;
}

/** `value / unit` with the fraction written out exactly and trailing zeros dropped, as Go does. */
function decimal(value: number, unit: number): string {
  const whole = Math.floor(value / unit);
  const fraction = value - whole * unit;
  if (fraction === 0) return String(whole);
  const digits = String(unit).length - 1;
  return `${whole}.${String(fraction).padStart(digits, '0').replace(/0+$/, '')}`;
}
