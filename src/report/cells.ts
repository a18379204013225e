import { formatCount } from '../format.js';

/**
 * How a person reads a view's cell: shares and rates as `72.7%`, counts with thousands separators,
 * durations as `4m 09s`, times as dates, NULL as `—`, repositories by name. The kind comes from the
 * column's name, which the views keep regular (every share ends `_share` or `_rate`, every time
 * `_at`, every duration `_s`). Formatting only: the values come from the views as they are.
 */
export type ColumnKind = 'percent' | 'count' | 'duration' | 'time' | 'repository' | 'text';

export function columnKind(column: string): ColumnKind {
  if (column === 'repo_id' || column === 'repository') return 'repository';
  if (/(^|_)(share|rate|coverage)$/.test(column) || /^share_of_/.test(column)) return 'percent';
  if (/(^|_)duration_s$/.test(column)) return 'duration';
  if (/_at$/.test(column)) return 'time';
  return 'text';
}

export const NULL_CELL = '—';

export function formatPercent(value: number | null | undefined): string {
  return value === null || value === undefined ? NULL_CELL : `${(value * 100).toFixed(1)}%`;
}

/** 12,345; a fraction keeps at most two decimals. */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined) return NULL_CELL;
  return formatCount(Number.isInteger(value) ? value : Math.round(value * 100) / 100);
}

/** 59s · 4m 09s · 2h 05m · 3d 04h: two units at most, the second zero-padded. */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return NULL_CELL;
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const pad = (n: number) => String(n).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86400)}d ${pad(Math.floor((s % 86400) / 3600))}h`;
}

/** An ISO-8601 time as its UTC date; text that is not a time stays as it is. */
export function formatDate(value: unknown): string {
  if (value === null || value === undefined) return NULL_CELL;
  const text = String(value);
  const time = Date.parse(text);
  return Number.isNaN(time) ? text : new Date(time).toISOString().slice(0, 10);
}

/** One cell for a person; `names` maps repository ids to their names. */
export function formatCell(column: string, value: unknown, names: ReadonlyMap<string, string> = new Map()): string {
  if (value === null || value === undefined) return NULL_CELL;
  if (typeof value === 'bigint') return formatCell(column, Number(value), names);
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return `<${value.length} bytes>`;
  switch (columnKind(column)) {
    case 'repository':
      return names.get(String(value)) ?? String(value);
    case 'percent':
      return typeof value === 'number' ? formatPercent(value) : String(value);
    case 'duration':
      return typeof value === 'number' ? formatDuration(value) : String(value);
    case 'time':
      return formatDate(value);
    default:
      return typeof value === 'number' ? formatNumber(value) : String(value).replace(/\s*\n\s*/g, ' ⏎ ');
  }
}

/** A column name as a header: `ai_lines_churned` → `ai lines churned`. */
export function headerText(column: string): string {
  if (column === 'repo_id') return 'repository';
  return column.replace(/(^|_)duration_s$/, '$1duration').replace(/_/g, ' ');
}

/** `1 session`, `12 sessions`, `1,204 commits`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatNumber(n)} ${n === 1 ? one : many}`;
}
