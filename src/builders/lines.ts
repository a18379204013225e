import type { CountedLines } from '../git/patch-record.js';

/**
 * DESIGN §4: a non-trivial line has, after trimming and collapsing whitespace, at least four ASCII
 * letters or digits and is not a keyword-only line (`else`, `end`, `return;`, `} else {` …).
 * Blank, brace-only and whitespace-only lines never count, in a numerator or a denominator.
 * (Exported for the tests' statement of that definition.)
 */
export const KEYWORD_ONLY: ReadonlySet<string> = new Set([
  'else',
  'end',
  'fi',
  'done',
  'esac',
  'return',
  'break',
  'continue',
  'pass',
  'endif',
  'endfor',
  'endwhile',
  'begin',
  'then',
  'do',
  'try',
  'finally',
  'default',
  'null',
  'none',
  'true',
  'false',
  'nil',
  'undefined',
  'this',
  'self',
  'super',
  'await',
  'yield',
  'export',
  'import',
  'public',
  'private',
  'protected',
  'static',
  'const',
  'let',
  'var',
  'elif',
  'else if',
  'end if',
  'end do',
]);

/**
 * Whether a UTF-16 code unit is what JavaScript's `\s` and `trim()` call whitespace (the same set:
 * ECMAScript's WhiteSpace and LineTerminator).
 */
function isSpace(c: number): boolean {
  if (c < 0x80) return c === 32 || (c >= 9 && c <= 13);
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/**
 * A line with its ends trimmed and each run of whitespace one space. Every added and removed line of
 * a first build passes here, several times (attribution, the content and partial-revert rules,
 * churn): most are already normal inside their indentation, so a scan finds that and copies the
 * trimmed text once; the others are split and joined, not replace(/\s+/g, ' '): V8 builds
 * replace's result as a rope of one piece per token, and these strings are kept as map keys by the
 * hundred thousand (40 bytes a piece on top of the text). Either way the result is a string of its
 * own: never a slice of the diff text read (a kept slice would keep the whole chunk it came from).
 */
export function normalizeLine(line: string): string {
  if (!normalInside(line)) return line.trim().split(/\s+/).join(' ');
  // ` ${text}`.slice(1): V8 flattens the concatenation into a new string before slicing it, so
  // the result holds a copy of these characters, not the line's (nor its chunk's).
  return spanStart === spanEnd ? '' : ` ${line.slice(spanStart, spanEnd)}`.slice(1);
}

/** The line's trimmed span, set by normalInside (module state: no allocation per line). */
let spanStart = 0;
let spanEnd = 0;

/** Sets the trimmed span; whether the text inside it is already normal (else it needs the split). */
function normalInside(line: string): boolean {
  let start = 0;
  let end = line.length;
  while (start < end && isSpace(line.charCodeAt(start))) start++;
  while (end > start && isSpace(line.charCodeAt(end - 1))) end--;
  spanStart = start;
  spanEnd = end;
  for (let i = start; i < end; i++) {
    const c = line.charCodeAt(i);
    // Inside the trimmed text a space followed by a non-space is already normal; any other
    // whitespace (a tab, a run) needs the split.
    if (c === 32 ? isSpace(line.charCodeAt(i + 1)) : isSpace(c)) return false;
  }
  return true;
}

/** Longer than every keyword-only line: more letters and digits than `protected` has. */
const LONGEST_KEYWORD_ALNUM = 9;

/**
 * A 53-bit hash of normalizeLine(text.slice(start, end)), read in place: no string is made, so a
 * builder can key the hundreds of thousands of lines it holds (churn's live lines, attribution's
 * written lines) or compares (every line of the files the content rule reads) by a number instead
 * of a copy of each line. Equal for lines whose normal forms are equal; two lanes (FNV-1a and a
 * rotate-xor-multiply), each finished with murmur3's mixer and the length, so two different lines
 * share one with odds near 2⁻⁵³. Churn on git's own history looks up ~2 M removed lines, each
 * against at most ~10⁴ live lines of its path: ~2·10⁻⁶ false matches expected in a whole first
 * run. Unlike lineBalanceHash (whitespace dropped), a run of whitespace counts as one space, as
 * normalizeLine has it.
 */
export function normalLineHash(text: string, start = 0, end = text.length): number {
  let a = 0x811c9dc5 | 0;
  let b = 0x2545f491 | 0;
  let length = 0;
  let gap = false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || (c < 0x80 ? c >= 9 && c <= 13 : isSpace(c))) {
      // Leading whitespace is dropped; a run inside is one space, mixed in before the next character
      // (so trailing whitespace never is).
      gap = length > 0;
      continue;
    }
    if (gap) {
      a = Math.imul(a ^ 32, 0x01000193);
      b = Math.imul(((b << 5) | (b >>> 27)) ^ 32, 0x9e3779b1);
      length++;
      gap = false;
    }
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(((b << 5) | (b >>> 27)) ^ c, 0x9e3779b1);
    length++;
  }
  return (mix32(a ^ length) >>> 0) * 0x200000 + (mix32(b + length) >>> 11);
}

/**
 * normalLineHash of the text the UTF-8 bytes data[start, end) decode to (a line: the range holds no
 * newline; one that does is hashed up to it), read from the bytes where
 * they are ASCII: churn keys every line of the diff store's records (git's own history's mainline,
 * once a first run) without decoding each record into a string first. A line past ASCII is decoded
 * and hashed as text (what the record's text would have held: a decoder ends an invalid sequence at
 * the newline, so a line decoded alone is the same as one split from its record). Its loop is
 * normalLineHash's written again over bytes, not shared: one loop reading either a string or a
 * Buffer would be polymorphic on churn's hottest path (test/lines.test.ts holds the two equal).
 */
export function normalLineHashOfBytes(data: Buffer, start: number, end: number): number {
  return hashLineOfBytes(data, start, end);
}

/** Where the last hashLineOfBytes stopped: the newline that ended its line, or its `end`. */
let lineStop = 0;

/**
 * normalLineHash of the line of data[start, end) that starts at `start`: up to the first newline,
 * else to `end` (where it stopped: lineStop). One loop for a line alone and for every line of a
 * file (normalLineHashesLent).
 */
function hashLineOfBytes(data: Buffer, start: number, end: number): number {
  let a = 0x811c9dc5 | 0;
  let b = 0x2545f491 | 0;
  let length = 0;
  let gap = false;
  let i = start;
  for (; i < end; i++) {
    const c = data[i]!;
    if (c === 10) break;
    if (c >= 0x80) {
      let stop = data.indexOf(10, i);
      if (stop < 0 || stop > end) stop = end;
      lineStop = stop;
      return normalLineHash(data.toString('utf8', start, stop));
    }
    if (c === 32 || (c >= 9 && c <= 13)) {
      gap = length > 0;
      continue;
    }
    if (gap) {
      a = Math.imul(a ^ 32, 0x01000193);
      b = Math.imul(((b << 5) | (b >>> 27)) ^ 32, 0x9e3779b1);
      length++;
      gap = false;
    }
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(((b << 5) | (b >>> 27)) ^ c, 0x9e3779b1);
    length++;
  }
  lineStop = i;
  return (mix32(a ^ length) >>> 0) * 0x200000 + (mix32(b + length) >>> 11);
}

/** Where normalLineHashesLent writes its keys, grown as files need. */
let lineKeysScratch = new Float64Array(1 << 12);

/**
 * normalLineHashOfBytes of every line of `data` (split at each newline, the empty line after a last
 * one too), in order, in one pass over the bytes, in a scratch array lent until the next call (the
 * caller copies what it keeps). The content rule keys every line of every file version it reads
 * (git's own history with its pull requests: ~750k versions, 31 GB) with WasmLineKeys
 * (line-keys.ts), the same loop in WebAssembly: this is the JavaScript its keys are held equal to
 * (test/line-keys.test.ts, bench/line-keys.mjs). Finding each line's end first with indexOf, then
 * hashing up to it, cost two native calls a line beside the hash (~9% of the rule's sampled time).
 */
export function normalLineHashesLent(data: Buffer): Float64Array {
  const size = data.length;
  let n = 0;
  for (let start = 0; ; start = lineStop + 1) {
    const key = hashLineOfBytes(data, start, size);
    if (n === lineKeysScratch.length) {
      const larger = new Float64Array(n * 2);
      larger.set(lineKeysScratch);
      lineKeysScratch = larger;
    }
    lineKeysScratch[n++] = key;
    if (lineStop >= size) break;
  }
  return lineKeysScratch.subarray(0, n);
}

/** murmur3's finalizer: every input bit moves every output bit. */
function mix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

export function isNontrivialLine(line: string): boolean {
  return isNontrivialRange(line, 0, line.length);
}

/** Whether the line at [start, end) of a longer text is non-trivial (isNontrivialLine of it, without slicing it off). */
export function isNontrivialRange(line: string, start: number, end: number): boolean {
  // Whitespace carries no letters or digits, so the raw line's count is the normalized line's.
  let alnum = 0;
  for (let i = start; i < end && alnum <= LONGEST_KEYWORD_ALNUM; i++) {
    const c = line.charCodeAt(i);
    if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)) alnum++;
  }
  if (alnum < 4) return false;
  if (alnum > LONGEST_KEYWORD_ALNUM) return true;
  const bare = normalizeLine(start === 0 && end === line.length ? line : line.slice(start, end))
    .replace(/^[\s{}()[\];,:]+|[\s{}()[\];,:]+$/g, '')
    .toLowerCase();
  return !KEYWORD_ONLY.has(bare);
}

/**
 * What each ASCII byte can be in a keyword-only line once its letters are counted: 1 for what
 * isNontrivialRange trims or collapses (whitespace, `{}()[];,:`) and for letters (a keyword's),
 * 0 for anything else — a digit or other punctuation stays in the trimmed text, and no keyword
 * holds one.
 */
const IN_KEYWORD_LINE = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
  IN_KEYWORD_LINE[c] = letter || c === 32 || (c >= 9 && c <= 13) || '{}()[];,:'.includes(String.fromCharCode(c)) ? 1 : 0;
}

/**
 * isNontrivialLine of the UTF-8 line data[start, end), as git wrote it (the history's pass counts
 * each added line there, PatchRecordParser), mostly without decoding it. Letters and digits are
 * ASCII bytes, each its own code unit, and no byte of another character is one, so they count the
 * same in the bytes as in the text. A line whose count leaves the keywords in question is one
 * when an ASCII byte in it could not be in a keyword-only line (IN_KEYWORD_LINE); only the rest
 * (letters, spaces and brackets, or a byte past ASCII, whose whitespace JavaScript may trim) is
 * decoded and asked as text.
 */
export function isNontrivialBytes(data: Buffer, start: number, end: number): boolean {
  let alnum = 0;
  for (let i = start; i < end && alnum <= LONGEST_KEYWORD_ALNUM; i++) {
    const c = data[i]!;
    if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)) alnum++;
  }
  if (alnum < 4) return false;
  if (alnum > LONGEST_KEYWORD_ALNUM) return true;
  let ascii = true;
  for (let i = start; i < end; i++) {
    const c = data[i]!;
    if (c >= 128) ascii = false;
    else if (IN_KEYWORD_LINE[c] === 0) return true;
  }
  return isNontrivialLine(data.toString(ascii ? 'latin1' : 'utf8', start, end));
}

/** The non-trivial lines (DESIGN §4), asked of a line's text or of its bytes: what the diff store counts. */
export const NONTRIVIAL_LINES: CountedLines = { text: isNontrivialLine, range: isNontrivialRange, bytes: isNontrivialBytes };

/** Lines of a stored text block (edits keep their lines joined by \n). */
export function textLines(text: string | null | undefined): string[] {
  return text ? text.split('\n') : [];
}

export function countNontrivial(text: string | null | undefined): number {
  let n = 0;
  for (const line of textLines(text)) if (isNontrivialLine(line)) n++;
  return n;
}
