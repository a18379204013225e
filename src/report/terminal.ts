import { columnKind, formatCell, headerText } from './cells.js';
import type { ResultTable } from './render.js';

/**
 * What the terminal can show: its width (a width of 0 or none reads as 80), whether to colour
 * (never with NO_COLOR, TERM=dumb or a pipe) and whether it can draw Unicode blocks (not TERM=dumb).
 */
export interface TerminalStyle {
  width: number;
  color: boolean;
  unicode: boolean;
}

export const DEFAULT_WIDTH = 80;

export function terminalStyle(stream: { isTTY?: boolean; columns?: number }, env: NodeJS.ProcessEnv): TerminalStyle {
  const dumb = env.TERM === 'dumb';
  const columns = stream.columns && stream.columns > 0 ? stream.columns : Number(env.COLUMNS) || DEFAULT_WIDTH;
  return {
    width: Math.max(40, columns),
    color: stream.isTTY === true && !dumb && env.NO_COLOR === undefined,
    unicode: !dumb,
  };
}

/** The plain style the tests and pipes get: 80 columns, no colour, Unicode. */
export const PLAIN_STYLE: TerminalStyle = { width: DEFAULT_WIDTH, color: false, unicode: true };

/** Columns a string takes on a terminal: East Asian wide characters and emoji take two, marks none. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const char of text) {
    const c = char.codePointAt(0)!;
    if ((c >= 0x300 && c <= 0x36f) || c === 0x200b || c === 0x200d || (c >= 0xfe00 && c <= 0xfe0f)) continue;
    const wide =
      (c >= 0x1100 && c <= 0x115f) ||
      (c >= 0x2e80 && c <= 0xa4cf) ||
      (c >= 0xac00 && c <= 0xd7a3) ||
      (c >= 0xf900 && c <= 0xfaff) ||
      (c >= 0xfe30 && c <= 0xfe4f) ||
      (c >= 0xff00 && c <= 0xff60) ||
      (c >= 0xffe0 && c <= 0xffe6) ||
      (c >= 0x1f300 && c <= 0x1faff) ||
      (c >= 0x20000 && c <= 0x3fffd);
    width += wide ? 2 : 1;
  }
  return width;
}

/** Cuts text to `width` terminal columns, ending in … when it was longer. */
export function truncate(text: string, width: number): string {
  if (displayWidth(text) <= width) return text;
  let out = '';
  for (const char of text) {
    if (displayWidth(out + char) > width - 1) break;
    out += char;
  }
  return `${out}…`;
}

const pad = (text: string, width: number, right: boolean) => {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(text)));
  return right ? fill + text : text + fill;
};

/** Header words wrapped into lines no wider than the column. */
function wrapHeader(header: string, width: number): string[] {
  const lines: string[] = [];
  for (const word of header.split(' ')) {
    const last = lines.at(-1);
    if (last !== undefined && displayWidth(`${last} ${word}`) <= width) lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  return lines;
}

/** The longest a text cell may be before it is cut (session ids, subjects, paths). */
const TEXT_CELL_LIMIT = 36;

export interface TerminalTable {
  text: string;
  /** Columns left out to fit the width (compact mode), in view order. */
  hidden: string[];
}

/**
 * One view as a terminal table: cells formatted by column kind, numbers right-aligned, headers
 * wrapped to their column, and — when the table is wider than the terminal — the rightmost columns
 * left out until it fits (the first column always stays), named in `hidden` so the caller says so.
 */
export function renderTerminalView(table: ResultTable, style: TerminalStyle, names: ReadonlyMap<string, string>): TerminalTable {
  const columns = table.columns;
  const cells = table.rows.map((row) => columns.map((c) => truncate(formatCell(c, row[c], names), TEXT_CELL_LIMIT)));
  const right = columns.map((c) => {
    const kind = columnKind(c);
    if (kind === 'percent' || kind === 'duration') return true;
    return (
      kind === 'text' &&
      table.rows.some((r) => typeof r[c] === 'number') &&
      table.rows.every((r) => r[c] == null || typeof r[c] === 'number')
    );
  });
  const headers = columns.map(headerText);
  const widths = columns.map((_, i) =>
    Math.max(...headers[i]!.split(' ').map(displayWidth), ...cells.map((row) => displayWidth(row[i]!)), 1),
  );
  let shown = columns.length;
  const total = (n: number) => widths.slice(0, n).reduce((a, b) => a + b, 0) + 2 * (n - 1);
  while (shown > 1 && total(shown) > style.width) shown--;
  const wrapped = headers.slice(0, shown).map((h, i) => wrapHeader(h, widths[i]!));
  const headerLines = Math.max(...wrapped.map((w) => w.length));
  const line = (values: string[]) =>
    values
      .map((v, i) => pad(v, widths[i]!, right[i]!))
      .join('  ')
      .trimEnd();
  const out: string[] = [];
  for (let l = 0; l < headerLines; l++) {
    // Headers sit on their last line, like the numbers under them.
    out.push(line(wrapped.map((w) => w[l - (headerLines - w.length)] ?? '')));
  }
  out.push(
    widths
      .slice(0, shown)
      .map((w) => (style.unicode ? '─' : '-').repeat(w))
      .join('  '),
  );
  for (const row of cells) out.push(line(row.slice(0, shown)));
  return { text: out.join('\n'), hidden: columns.slice(shown) };
}
