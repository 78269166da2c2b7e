import { describe, expect, it } from 'vitest';

import { formatTable } from '../../src/ui/table.js';

describe('formatTable (tabwriter minwidth 10, padding 3)', () => {
  it('pads every column but the last to its widest cell plus 3, at least 10', () => {
    const text = formatTable(
      ['NAME', 'IMAGE', 'PORTS'],
      [
        ['app-web-1', 'node:20-alpine', '0.0.0.0:8080->80/tcp'],
        ['app-db-1', 'db', ''],
      ],
    );
    expect(text).toBe(
      [
        'NAME        IMAGE            PORTS',
        'app-web-1   node:20-alpine   0.0.0.0:8080->80/tcp',
        'app-db-1    db               ',
        '',
      ].join('\n'),
    );
  });

  it('keeps short columns at the minimum width', () => {
    expect(formatTable(['A', 'B'], [['x', 'y']])).toBe('A         B\nx         y\n');
  });

  it('counts characters, not bytes', () => {
    expect(formatTable(['N', 'X'], [['héllo…', 'y']])).toBe('N         X\nhéllo…    y\n');
  });

  it('prints only the header when there are no rows', () => {
    expect(formatTable(['NAME', 'STATUS'], [])).toBe('NAME      STATUS\n');
  });

  it('honours other widths', () => {
    expect(formatTable(['A', 'B'], [['abc', 'd']], { minWidth: 0, padding: 1 })).toBe('A   B\nabc d\n');
  });
});
