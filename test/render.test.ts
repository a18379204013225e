import { formatCount } from '../src/format.js';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../src/errors.js';
import { defaultFormat, jsonRows, parseFormat, renderSections, renderTable, type ResultTable } from '../src/report/render.js';

const table: ResultTable = {
  name: 'view_example',
  columns: ['name', 'count', 'share'],
  rows: [
    { name: 'a | b', count: 3, share: 0.5 },
    { name: 'line1\nline2, "quoted"', count: 12, share: null },
  ],
};

describe('renderers', () => {
  it('renders a terminal table with numbers right-aligned and NULL shown', () => {
    expect(renderTable(table, 'table')).toBe(
      [
        'name                     count  share',
        '───────────────────────  ─────  ─────',
        'a | b                        3    0.5',
        'line1 ⏎ line2, "quoted"     12   NULL',
      ].join('\n'),
    );
  });

  it('escapes pipes and newlines in Markdown', () => {
    const md = renderTable(table, 'md');
    expect(md.split('\n')).toEqual([
      '| name                     | count | share |',
      '| :----------------------- | ----: | ----: |',
      '| a \\| b                   |     3 |   0.5 |',
      '| line1<br>line2, "quoted" |    12 |       |',
    ]);
  });

  it('quotes CSV fields per RFC 4180', () => {
    expect(renderTable(table, 'csv')).toBe('name,count,share\r\na | b,3,0.5\r\n"line1\nline2, ""quoted""",12,');
  });

  it('writes JSON with nulls and plain numbers', () => {
    expect(JSON.parse(renderTable(table, 'json'))).toEqual([
      { name: 'a | b', count: 3, share: 0.5 },
      { name: 'line1\nline2, "quoted"', count: 12, share: null },
    ]);
  });

  // A row JSON can write as it is is kept (no copy per row); any other is made the columns' row.
  it.each([
    ['a row read from SQLite', { a: 1, b: 'x' }, { a: 1, b: 'x' }, true],
    ['keys in another order', { b: 'x', a: 1 }, { a: 1, b: 'x' }, false],
    ['a missing column', { a: 1 }, { a: 1, b: null }, false],
    ['an extra key', { a: 1, b: 'x', c: 2 }, { a: 1, b: 'x' }, false],
    ['undefined', { a: 1, b: undefined }, { a: 1, b: null }, false],
    ['a big integer', { a: 12n, b: 'x' }, { a: 12, b: 'x' }, false],
    ['a bigger one', { a: 2n ** 64n, b: 'x' }, { a: '18446744073709551616', b: 'x' }, false],
    ['bytes', { a: 1, b: Buffer.from('hi') }, { a: 1, b: 'aGk=' }, false],
  ])('JSON rows: %s', (_, row, json, kept) => {
    const [out] = jsonRows({ name: 'view_x', columns: ['a', 'b'], rows: [row] });
    expect(out).toEqual(json);
    expect(Object.keys(out!)).toEqual(['a', 'b']);
    expect(out === row).toBe(kept);
  });

  it('says so when a table has no rows', () => {
    expect(renderTable({ ...table, rows: [] }, 'table')).toContain('(no rows)');
    expect(renderTable({ ...table, rows: [] }, 'md')).toContain('_no rows_');
  });

  it('renders several views as titled sections, or one JSON object keyed by view', () => {
    const other = { ...table, name: 'view_other', rows: [] };
    expect(renderSections([table, other], 'md')).toMatch(/^### view_example\n\n\| name[\s\S]*### view_other/);
    expect(Object.keys(JSON.parse(renderSections([table, other], 'json')))).toEqual(['view_example', 'view_other']);
    expect(() => renderSections([table, other], 'csv')).toThrowError(UsageError);
    expect(renderSections([table], 'csv')).toBe(renderTable(table, 'csv'));
  });

  it('picks a table for terminals and Markdown for pipes, and rejects unknown formats', () => {
    expect(defaultFormat(true)).toBe('table');
    expect(defaultFormat(false)).toBe('md');
    expect(parseFormat('csv')).toBe('csv');
    expect(() => parseFormat('xml')).toThrowError(/unknown format "xml"/);
  });
});

describe('formatCount', () => {
  it.each([0, 7, 999, 1000, 12345, 1234567, -4321, 1234.5, 10_000_000])('%d as toLocaleString("en") writes it', (n) => {
    expect(formatCount(n)).toBe(n.toLocaleString('en', { maximumFractionDigits: 20 }));
  });
});
