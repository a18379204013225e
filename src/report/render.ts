import { markdownTable } from 'markdown-table';
import { UsageError } from '../errors.js';
import type { Format } from './formats.js';

export { defaultFormat, FORMATS, type Format, parseFormat } from './formats.js';

export interface ResultTable {
  name: string;
  columns: string[];
  rows: Record<string, unknown>[];
}

const TABLE_CELL_LIMIT = 80;

function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return `<${value.length} bytes>`;
  return String(value);
}

function tableCell(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  const text = cellText(value).replace(/\s*\n\s*/g, ' ⏎ ');
  return text.length > TABLE_CELL_LIMIT ? `${text.slice(0, TABLE_CELL_LIMIT - 1)}…` : text;
}

function isNumeric(value: unknown): boolean {
  return typeof value === 'number' || typeof value === 'bigint';
}

function renderTerminalTable(table: ResultTable): string {
  if (table.columns.length === 0) return '(no columns)';
  const cells = table.rows.map((row) => table.columns.map((c) => tableCell(row[c])));
  const widths = table.columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const numeric = table.columns.map(
    (c) => table.rows.some((r) => isNumeric(r[c])) && table.rows.every((r) => r[c] == null || isNumeric(r[c])),
  );
  const line = (values: string[]) =>
    values
      .map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [line(table.columns), widths.map((w) => '─'.repeat(w)).join('  ')];
  for (const row of cells) out.push(line(row));
  if (table.rows.length === 0) out.push('(no rows)');
  return out.join('\n');
}

function markdownCell(value: unknown): string {
  return cellText(value).replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

function renderMarkdown(table: ResultTable): string {
  if (table.columns.length === 0) return '_no columns_';
  const body = table.rows.map((row) => table.columns.map((c) => markdownCell(row[c])));
  const align = table.columns.map((c) => (table.rows.length > 0 && table.rows.every((r) => r[c] == null || isNumeric(r[c])) ? 'r' : 'l'));
  const text = markdownTable([table.columns, ...body], { align });
  return table.rows.length === 0 ? `${text}\n\n_no rows_` : text;
}

function csvCell(value: unknown): string {
  const text = cellText(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function renderCsv(table: ResultTable): string {
  const lines = [table.columns.map(csvCell).join(',')];
  for (const row of table.rows) lines.push(table.columns.map((c) => csvCell(row[c])).join(','));
  return lines.join('\r\n');
}

function jsonValue(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return value ?? null;
}

/**
 * The table's rows as JSON should write them: each with the table's columns, in order, and values
 * JSON can hold. A row that is that already (every row read from SQLite without a big integer or
 * bytes) is kept, not copied: a million-row report wrote 14,301 rows of one view.
 */
export function jsonRows(table: ResultTable): Record<string, unknown>[] {
  const { columns } = table;
  const ready = (row: Record<string, unknown>): boolean => {
    const keys = Object.keys(row);
    if (keys.length !== columns.length) return false;
    for (let i = 0; i < keys.length; i++) {
      const value = row[keys[i]!];
      if (keys[i] !== columns[i] || jsonValue(value) !== value) return false;
    }
    return true;
  };
  return table.rows.map((row) => (ready(row) ? row : Object.fromEntries(columns.map((c) => [c, jsonValue(row[c])]))));
}

/** One result set in the chosen format (the `sql` command). */
export function renderTable(table: ResultTable, format: Format): string {
  switch (format) {
    case 'table':
      return renderTerminalTable(table);
    case 'md':
      return renderMarkdown(table);
    case 'csv':
      return renderCsv(table);
    case 'json':
      return JSON.stringify(jsonRows(table), null, 2);
    default: {
      const unreachable: never = format;
      throw new Error(`unhandled format ${String(unreachable)}`);
    }
  }
}

/** Several named result sets (the `report` command): titled sections, or one JSON object. */
export function renderSections(tables: ResultTable[], format: Format): string {
  switch (format) {
    case 'json':
      return JSON.stringify(Object.fromEntries(tables.map((t) => [t.name, jsonRows(t)])), null, 2);
    case 'csv':
      if (tables.length !== 1) {
        throw new UsageError(`--format csv writes one table; choose one with --view (${tables.map((t) => t.name).join(', ')})`);
      }
      return renderCsv(tables[0]!);
    case 'md':
      return tables.map((t) => `### ${t.name}\n\n${renderMarkdown(t)}`).join('\n\n');
    case 'table':
      return tables.map((t) => `${t.name}\n\n${renderTerminalTable(t)}`).join('\n\n');
    default: {
      const unreachable: never = format;
      throw new Error(`unhandled format ${String(unreachable)}`);
    }
  }
}
