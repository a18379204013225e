const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const DROPPED = Buffer.from('…"');

/**
 * Strings at least this long are what skimming drops (tool output, file contents). No path a
 * parser reads can be this long (PATH_MAX is 4096 bytes with its NUL), nor an id or a timestamp.
 */
export const SKIM_MIN_BYTES = 4096;

/**
 * The JSON text of a line with every string longer than `minBytes` cut to its first `keepHead`
 * bytes followed by `…` (just `"…"` when nothing is kept), for lines whose long strings nothing
 * reads past their start (a tool's output when no edit waits for it). Parsing the skimmed copy
 * skips decoding and copying those strings, most of a transcript's bytes. Strings are found by
 * their unescaped quotes (memchr speed), so a line that is not valid JSON stays invalid; one with
 * no long string is returned as it is.
 */
export function skimLongStrings(line: Buffer, minBytes = SKIM_MIN_BYTES, keepHead = 0): Buffer {
  let pieces: Buffer[] | null = null;
  let copied = 0;
  let from = 0;
  for (;;) {
    const open = line.indexOf(QUOTE, from);
    if (open === -1) break;
    const close = closingQuote(line, open + 1);
    if (close === -1) return line; // unterminated: leave it to JSON.parse to refuse
    if (close - open - 1 >= minBytes) {
      pieces ??= [];
      pieces.push(line.subarray(copied, cutPoint(line, open + 1, Math.min(open + 1 + keepHead, close))), DROPPED);
      copied = close + 1;
    }
    from = close + 1;
  }
  if (pieces === null) return line;
  pieces.push(line.subarray(copied));
  return Buffer.concat(pieces);
}

/**
 * `at`, or the nearest place before it that starts neither inside a UTF-8 character nor inside an
 * escape (the longest, \uXXXX, is six bytes): the start of a run of backslashes always qualifies.
 */
function cutPoint(line: Buffer, start: number, at: number): number {
  let cut = at;
  while (cut > start && (line[cut]! & 0xc0) === 0x80) cut--;
  for (let i = cut - 1; i >= start && i >= cut - 6; i--) {
    if (line[i] === BACKSLASH) {
      cut = i;
      while (cut > start && line[cut - 1] === BACKSLASH) cut--;
      break;
    }
  }
  return cut;
}

/** The index of the quote that ends the string starting at `start`, or -1. */
function closingQuote(line: Buffer, start: number): number {
  let at = start;
  for (;;) {
    const quote = line.indexOf(QUOTE, at);
    if (quote === -1) return -1;
    let backslashes = 0;
    for (let i = quote - 1; i >= start && line[i] === BACKSLASH; i--) backslashes++;
    if (backslashes % 2 === 0) return quote;
    at = quote + 1;
  }
}

/**
 * Whether `key` appears in the line as a JSON key with this string value (`"key":"value"`), at any
 * depth, within its first `within` bytes. Unescaped, the pattern cannot sit inside a string.
 */
export function hasKeyValue(line: Buffer, key: string, value: string, within = line.length): boolean {
  return (within < line.length ? line.subarray(0, within) : line).includes(`"${key}":"${value}"`);
}

/** Every string value of `key` in the line (`"key":"…"`, at any depth), as raw JSON text (escapes kept). */
export function stringValuesOf(line: Buffer, key: string): string[] {
  const pattern = Buffer.from(`"${key}":"`);
  const out: string[] = [];
  for (let at = line.indexOf(pattern); at !== -1; at = line.indexOf(pattern, at + 1)) {
    const start = at + pattern.length;
    const end = closingQuote(line, start);
    if (end === -1) break;
    out.push(line.toString('utf8', start, end));
  }
  return out;
}
