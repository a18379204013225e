import { createHash, type Hash, hash as hashOnce } from 'node:crypto';
import { FNV_OFFSET, lineHashOfBytes, PRIME_BY_CODE, XOR_BY_CODE } from './line-balance.js';

/**
 * `git patch-id --stable` of one commit's diff text, computed here from the bytes the reader has
 * anyway instead of a `git patch-id` process fed a copy of them (on git's own history that process
 * took 3.1 s of CPU on the diffs with context, and this one ~1 s more to write it the text). A
 * line-for-line port of get_one_patchid in git's builtin/patch-id.c (2.39, stable, not verbatim),
 * quirks kept, so the ids are git's own (test/patch-id.test.ts holds it to git on every shape of
 * diff):
 *
 * - every line from the first `diff ` line on is hashed with git's whitespace (space, TAB, LF, CR)
 *   removed, headers included, except `index` lines, `@@` hunk headers and `\ No newline` markers;
 * - each file's hash is added into the id (20 bytes, byte by byte with carry) when the next file's
 *   `diff ` line follows a finished hunk, so a section with no hunks (a mode change, a pure rename)
 *   hashes together with the next one;
 * - a binary section hashes the two blob ids of its `index` line instead, and the next section's
 *   `diff ` line is not hashed;
 * - a line git does not expect (not a header word between sections) ends the commit's text;
 * - a line is hashed up to a NUL byte in it, as git reads it as a C string.
 *
 * An id is null when nothing was hashed (an empty diff: git prints none). Only the lines are
 * given (a commit's text, without the `commit <sha>` line git patch-id splits on).
 */
export class PatchIdHasher {
  private sum = Buffer.alloc(20);
  /**
   * The file's hash, made only once its bytes outgrow the scratch space: most files' whitespace-free
   * text fits it and is hashed at once (crypto.hash) when the file ends — an object less per file.
   */
  private hash: Hash | null = null;
  /** Whitespace-free bytes not yet handed to the hash (one update per file, not per line). */
  private scratch = Buffer.allocUnsafe(64 * 1024);
  private used = 0;
  private patchlen = 0;
  private before = -1;
  private after = -1;
  private binary = false;
  /** git stopped reading this commit's text (a line it does not expect). */
  private stopped = false;
  private preOid = EMPTY;
  private postOid = EMPTY;

  /** Whether the next line, if it is a hunk's added or removed one, is hashed as one: balancedHunkLine may take it. */
  private inHunkLines(): boolean {
    return !this.stopped && this.patchlen > 0 && this.before !== -1 && !this.binary && (this.before !== 0 || this.after !== 0);
  }

  /**
   * A hunk's added or removed line (`+` or `-`, most of a diff's lines) hashed as line() would hash
   * it, while its end is found — one pass over its bytes instead of a search for its newline and
   * then a second pass — and in the same loop its line balance hash (lineHashOfBytes of the text
   * after the sign), left in `balancedLine.hash`: the history's pass (PatchRecordParser) needs both
   * of every such line, and one loop instead of two took ~0.45 s off its parse of the 80k bench
   * history (bench/README, session 79). Returns where the line ends (its newline, or `end`). -1:
   * nothing done, the caller hands the line to line() and hashes it itself — any other line, one
   * holding a NUL, or one longer than the scratch space left (line() drains it first).
   */
  balancedHunkLine(data: Buffer, start: number, end: number): number {
    if (!this.inHunkLines()) return -1;
    const first = data[start]!;
    if (first !== PLUS && first !== MINUS) return -1;
    const scratch = this.scratch;
    let used = this.used;
    const stop = Math.min(end, start + scratch.length - used);
    if (stop === start) return -1;
    scratch[used++] = first;
    let hash = FNV_OFFSET;
    // Any byte past ASCII sets its top bit here (no branch on it): the line is then hashed again as text.
    let high = 0;
    let i = start + 1;
    for (; i < stop; i++) {
      const b = data[i]!;
      if (b === 0x0a) break;
      if (b === 0) return -1;
      // Written whatever it is, kept by moving past it or not: no branch on the bytes (whitespace
      // comes and goes at random in code, a branch's guess would miss it often).
      scratch[used] = b;
      used += KEPT[b]!;
      high |= b;
      hash = Math.imul(hash ^ XOR_BY_BYTE[b]!, PRIME_BY_BYTE[b]!);
    }
    // The scratch space ran out before the line did (what was written past `used` is not kept).
    if (i === stop && stop < end) return -1;
    if (first === MINUS) this.before--;
    else this.after--;
    this.patchlen += used - this.used;
    this.used = used;
    // A line with a byte past ASCII is hashed as the text it decodes to (lineHashOfBytes).
    balancedLine.hash = high < 0x80 ? hash : lineHashOfBytes(data, start + 1, i);
    return i;
  }

  /** One line, data[start, end), without its newline. */
  line(data: Buffer, start: number, end: number): void {
    if (this.stopped) return;
    const first = start < end ? data[start]! : 0x0a;
    // "\ No newline at end of file" (git: 12 < strlen, which counts the newline).
    if (first === BACKSLASH && data[start + 1] === SPACE && end - start + 1 > 12) return;
    if (this.patchlen === 0 && !startsWith(data, start, end, DIFF)) return;
    if (this.before === -1) {
      if (startsWith(data, start, end, GIT_BINARY) || startsWith(data, start, end, BINARY_FILES)) {
        this.binary = true;
        this.before = 0;
        this.append(this.preOid, 0, this.preOid.length, false);
        this.append(this.postOid, 0, this.postOid.length, false);
        this.flush();
        return;
      }
      if (startsWith(data, start, end, INDEX)) {
        this.index(data, start, end);
        return;
      }
      if (startsWith(data, start, end, MINUS3)) {
        this.before = 1;
        this.after = 1;
      } else if (!isAlpha(first)) {
        this.stopped = true;
        return;
      }
    }
    if (this.binary) {
      if (startsWith(data, start, end, DIFF)) {
        this.binary = false;
        this.before = -1;
      }
      return;
    }
    if (this.before === 0 && this.after === 0) {
      if (startsWith(data, start, end, HUNK)) {
        this.scanHunkHeader(data, start, end);
        return;
      }
      if (!startsWith(data, start, end, DIFF)) {
        this.stopped = true;
        return;
      }
      this.flush();
      this.before = -1;
      this.after = -1;
    }
    if (first === MINUS || first === SPACE) this.before--;
    if (first === PLUS || first === SPACE) this.after--;
    this.patchlen += this.append(data, start, end, true);
  }

  /** The commit's id (null: nothing hashed); the hasher is then ready for the next commit. */
  finish(): string | null {
    this.flush();
    const id = this.patchlen > 0 ? this.sum.toString('hex') : null;
    this.sum.fill(0);
    this.patchlen = 0;
    this.before = -1;
    this.after = -1;
    this.binary = false;
    this.stopped = false;
    this.preOid = EMPTY;
    this.postOid = EMPTY;
    return id;
  }

  /** Appends data[start, end), whitespace dropped when `strip`; returns the bytes appended. */
  private append(data: Buffer, start: number, end: number, strip: boolean): number {
    if (this.scratch.length - this.used < end - start) {
      this.drain();
      if (this.scratch.length < end - start) this.scratch = Buffer.allocUnsafe(end - start);
    }
    const scratch = this.scratch;
    let used = this.used;
    if (strip) {
      // git's remove_space reads the line as a C string: a NUL ends it (a text file may hold one
      // past the 8,000 bytes git looks at to call it binary).
      for (let i = start; i < end; i++) {
        const b = data[i]!;
        if (b === 0) break;
        if (b !== SPACE && b !== TAB && b !== CR && b !== 0x0a) scratch[used++] = b;
      }
    } else {
      data.copy(scratch, used, start, end);
      used += end - start;
    }
    const appended = used - this.used;
    this.used = used;
    return appended;
  }

  private drain(): void {
    if (this.used === 0) return;
    this.hash ??= createHash('sha1');
    this.hash.update(this.scratch.subarray(0, this.used));
    this.used = 0;
  }

  /** git's flush_one_hunk: the file's hash added into the id, byte by byte with carry. */
  private flush(): void {
    let digest: Buffer;
    if (this.hash === null) {
      digest = hashOnce('sha1', this.scratch.subarray(0, this.used), 'buffer');
      this.used = 0;
    } else {
      this.drain();
      digest = this.hash.digest();
      this.hash = null;
    }
    let carry = 0;
    for (let i = 0; i < 20; i++) {
      carry += this.sum[i]! + digest[i]!;
      this.sum[i] = carry & 0xff;
      carry >>= 8;
    }
  }

  /** `index <pre>..<post>[ <mode>]`: the blob ids a binary section hashes (64 characters at most, as git copies them). */
  private index(data: Buffer, start: number, end: number): void {
    const dots = data.indexOf(DOTS, start);
    if (dots === -1 || dots + 2 > end) return;
    let space = data.indexOf(SPACE, dots);
    if (space === -1 || space > end) space = end;
    const from = start + INDEX.length;
    this.preOid = Buffer.from(data.subarray(from, Math.max(from, Math.min(dots, from + 64))));
    this.postOid = Buffer.from(data.subarray(dots + 2, Math.max(dots + 2, Math.min(space, dots + 2 + 64))));
  }

  /** git's scan_hunk_header: the lines a hunk has before and after (a missing count is 1), line numbers ignored. */
  private scanHunkHeader(data: Buffer, start: number, end: number): void {
    let q = start + 4;
    let n = digitsAt(data, q, end);
    if (byteAt(data, q + n, end) === COMMA) {
      q += n + 1;
      n = digitsAt(data, q, end);
      this.before = numberAt(data, q, n);
    } else this.before = 1;
    if (n === 0 || byteAt(data, q + n, end) !== SPACE || byteAt(data, q + n + 1, end) !== PLUS) return;
    const r = q + n + 2;
    n = digitsAt(data, r, end);
    if (byteAt(data, r + n, end) === COMMA) this.after = numberAt(data, r + n + 1, digitsAt(data, r + n + 1, end));
    else this.after = 1;
  }
}

/** The byte at `i` of a line ending at `end` (0 past it, as git's C string ends). */
function byteAt(data: Buffer, i: number, end: number): number {
  return i < end ? data[i]! : 0;
}

/** How many decimal digits start at `i` (git's strspn with "0123456789"). */
function digitsAt(data: Buffer, i: number, end: number): number {
  let n = 0;
  while (i + n < end && data[i + n]! >= 0x30 && data[i + n]! <= 0x39) n++;
  return n;
}

/** The value of the `n` digits at `i` (git's atoi of them). */
function numberAt(data: Buffer, i: number, n: number): number {
  let value = 0;
  for (let k = 0; k < n; k++) value = value * 10 + (data[i + k]! - 0x30);
  return value;
}

/** The line balance hash of the line balancedHunkLine last took. */
export const balancedLine = { hash: 0 };

const EMPTY = Buffer.alloc(0);
const SPACE = 0x20;
const TAB = 0x09;
const CR = 0x0d;
const PLUS = 0x2b;
const MINUS = 0x2d;
const COMMA = 0x2c;
const BACKSLASH = 0x5c;
const DIFF = Buffer.from('diff ');
const INDEX = Buffer.from('index ');
const MINUS3 = Buffer.from('--- ');
const HUNK = Buffer.from('@@ -');
const GIT_BINARY = Buffer.from('GIT binary patch');
const BINARY_FILES = Buffer.from('Binary files');
const DOTS = Buffer.from('..');
/** 1 for a byte git's remove_space keeps, 0 for the whitespace it drops (a line's newline included). */
const KEPT = new Uint8Array(256).fill(1);
for (const b of [SPACE, TAB, CR, 0x0a]) KEPT[b] = 0;
/** line-balance.ts's FNV tables over every byte: what a byte past ASCII does to the hash is never used (the line is hashed as text). */
const XOR_BY_BYTE = new Int32Array(256);
const PRIME_BY_BYTE = new Int32Array(256);
XOR_BY_BYTE.set(XOR_BY_CODE);
PRIME_BY_BYTE.set(PRIME_BY_CODE);

function startsWith(data: Buffer, start: number, end: number, prefix: Buffer): boolean {
  if (end - start < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (data[start + i] !== prefix[i]) return false;
  return true;
}

/** git's sane isalpha: ASCII letters only. */
function isAlpha(b: number): boolean {
  return (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
}

/**
 * `git patch-id --stable` of a stream of git's diff output holding many commits, split as git
 * patch-id splits it: at a line `commit <id>` (git log --format='commit %H'), `From <id>`, or a
 * line that starts with an id (diff-tree --stdin). `write` the chunks as they come; `end` gives
 * each commit's id (none for an empty diff, as git prints none).
 */
export class PatchIdStream {
  /** The start of a line not yet ended, in the chunks it came in (joined once it ends: a long line is copied once). */
  private carry: Buffer[] = [];
  private sha: string | null = null;
  private readonly hasher = new PatchIdHasher();
  private readonly ids = new Map<string, string>();

  write(chunk: Buffer): void {
    if (chunk.indexOf(0x0a) === -1) {
      this.carry.push(chunk);
      return;
    }
    const data = this.carry.length > 0 ? Buffer.concat([...this.carry, chunk]) : chunk;
    this.carry = [];
    let from = 0;
    for (let nl = data.indexOf(0x0a); nl !== -1; nl = data.indexOf(0x0a, from)) {
      this.line(data, from, nl);
      from = nl + 1;
    }
    // A copy, so the chunk it came from can go.
    if (from < data.length) this.carry.push(Buffer.from(data.subarray(from)));
  }

  end(): Map<string, string> {
    const rest = Buffer.concat(this.carry);
    this.carry = [];
    if (rest.length > 0) this.line(rest, 0, rest.length);
    this.close();
    return this.ids;
  }

  private line(data: Buffer, start: number, end: number): void {
    let id = start;
    if (startsWith(data, start, end, COMMIT)) id += COMMIT.length;
    else if (startsWith(data, start, end, FROM)) id += FROM.length;
    if (isObjectId(data, id, end)) {
      this.close();
      this.sha = data.toString('latin1', id, id + 40).toLowerCase();
      return;
    }
    this.hasher.line(data, start, end);
  }

  private close(): void {
    const id = this.hasher.finish();
    // Text before the first commit line is git's "null" commit's: dropped, as git's is by its reader.
    if (this.sha !== null && id !== null) this.ids.set(this.sha, id);
  }
}

const COMMIT = Buffer.from('commit ');
const FROM = Buffer.from('From ');

/** Forty hexadecimal digits from `start` (git's get_oid_hex: what follows does not matter). */
function isObjectId(data: Buffer, start: number, end: number): boolean {
  if (end - start < 40) return false;
  for (let i = start; i < start + 40; i++) {
    const b = data[i]!;
    if (!((b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x66) || (b >= 0x41 && b <= 0x46))) return false;
  }
  return true;
}
