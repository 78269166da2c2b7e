/**
 * The known key nearest to a misspelt one, for "did you mean" hints; undefined when none is close enough
 * to be a plausible typo (a third of the word, at most 3 edits).
 */
export function suggestKey(unknown: string, known: readonly string[]): string | undefined {
  const limit = Math.min(3, Math.max(1, Math.floor(unknown.length / 3)));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of known) {
    if (candidate === unknown) continue;
    // Case-only differences (`Image`) are the likeliest typos of all.
    const distance =
      candidate.toLowerCase() === unknown.toLowerCase() ? 0.5 : editDistance(unknown, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Damerau–Levenshtein distance (optimal string alignment): insertions, deletions, substitutions, swaps. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const at = (i: number, j: number): number => d[i * cols + j]!;
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, at(i - 2, j - 2) + 1);
      }
      d[i * cols + j] = value;
    }
  }
  return at(rows - 1, cols - 1);
}
