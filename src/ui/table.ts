/**
 * Column tables as the Docker CLI prints them (Go's tabwriter with minwidth 10, padding 3): every
 * column but the last is padded to its widest cell plus 3 spaces, and at least 10 characters.
 */
export interface TableOptions {
  minWidth?: number;
  padding?: number;
}

/** Header and rows as text, one line each, ending with a newline; the last column is not padded. */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  options: TableOptions = {},
): string {
  const minWidth = options.minWidth ?? 10;
  const padding = options.padding ?? 3;
  const lines = [header, ...rows];
  const columns = Math.max(0, ...lines.map((line) => line.length));
  const widths: number[] = [];
  for (let column = 0; column < columns - 1; column++) {
    const widest = Math.max(0, ...lines.map((line) => textWidth(line[column] ?? '')));
    widths.push(Math.max(minWidth, widest + padding));
  }
  return lines
    .map((line) =>
      line
        .map((cell, column) => {
          const width = widths[column];
          return width === undefined || column === line.length - 1 ? cell : padEnd(cell, width);
        })
        .join(''),
    )
    .map((line) => `${line}\n`)
    .join('');
}

/** Width in code points, as tabwriter counts runes (no East Asian wide characters in our columns). */
export function textWidth(text: string): number {
  return [...text].length;
}

function padEnd(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - textWidth(text)));
}
