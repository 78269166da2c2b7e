const MULTIPLIERS: Record<string, number> = {
  '': 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  p: 1024 ** 5,
};

const SIZE = /^(\d+(?:\.\d+)?) ?([kmgtp]?)i?b?$/i;

/**
 * Parses a size in compose's units (docker's RAMInBytes): `b k kb m mb g gb` (and t, p, an optional `i`),
 * case-insensitive, 1024-based, decimals allowed (`1.5g`). Numbers are bytes already. Throws an Error otherwise.
 */
export function parseBytes(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`invalid size: ${value}`);
    return Math.trunc(value);
  }
  const match = SIZE.exec(value.trim());
  if (!match) throw new Error(`invalid size: '${value}'`);
  return Math.trunc(Number(match[1]) * MULTIPLIERS[match[2]!.toLowerCase()]!);
}
