import type { FilePatch } from './patches.js';

/**
 * A commit diff's line balance: the lines it removes less the lines it adds, as a signed multiset
 * of texts with their whitespace dropped, hashed into one number mod 2³² (each text's 32-bit FNV-1a,
 * removed ones added, added ones subtracted). What it is for: telling, without git, that one
 * commit cannot be another's reversed diff (src/builders/outcomes/reverse-candidates.ts).
 *
 * Why it does not depend on how git aligned the diff: every line of a file's old side is context
 * or removed, every line of its new side context or added, so removed − added = old − new whatever
 * lines the alignment kept as context — and, summed over a commit's files, whichever way renames
 * were paired (a rename's two sides count as a deletion's and an addition's would). So the diff of
 * C's trees taken the other way round (`git log -R`, which aligns afresh and is not C's text turned
 * round) balances to exactly minus C's. And two diffs with one `git patch-id --stable` are the same
 * lines once whitespace is dropped (patch-id drops git's isspace: space, TAB, LF, CR; here also VT
 * and FF, which can only make more texts equal), so they balance alike. Hence: R's patch-id equals
 * that of C's reversed diff only if balance(R) + balance(C) ≡ 0 — equal sums prove nothing, unequal
 * ones rule the pair out. (Where patch-id reads less than the whole line — up to a NUL, or not past
 * a line it does not expect: src/git/patch-id.ts — two diffs can share an id with different lines;
 * the balance then keeps such a pair apart, which is no undo anyway.) Binary sections hold no lines in either direction; a "\ No newline"
 * marker is not a line.
 */
export function lineBalanceHash(files: readonly FilePatch[]): number {
  // Int32 sums wrap mod 2³² exactly; the result is made unsigned once.
  let sum = 0;
  for (const file of files) {
    for (const line of file.removed) sum = (sum + lineHash(line)) | 0;
    for (const line of file.added) sum = (sum - lineHash(line)) | 0;
  }
  return sum >>> 0;
}

/** Whether two balances are opposite: the one condition a diff and its reverse always meet. */
export function balancesCancel(a: number, b: number): boolean {
  return ((a + b) | 0) === 0;
}

/** The balance that cancels `balance` (what a commit's undo must balance to). */
export function oppositeBalance(balance: number): number {
  return -balance >>> 0;
}

/**
 * FNV-1a's step per ASCII code: xor with XOR_BY_CODE, times PRIME_BY_CODE — for whitespace 0 and 1,
 * which leave the hash as it was. Tables instead of a test per character: whitespace comes at no
 * pattern a branch predictor can learn (2 ns a character less on git's own lines).
 */
export const XOR_BY_CODE = new Int32Array(128);
export const PRIME_BY_CODE = new Int32Array(128);
const FNV_PRIME = 0x01000193;
/** FNV-1a's offset basis, as an int32: where every line's hash starts. */
export const FNV_OFFSET = 0x811c9dc5 | 0;
for (let code = 0; code < 128; code++) {
  const whitespace = code === 32 || (code >= 9 && code <= 13);
  XOR_BY_CODE[code] = whitespace ? 0 : code;
  PRIME_BY_CODE[code] = whitespace ? 1 : FNV_PRIME;
}

/** 32-bit FNV-1a of a line's UTF-16 code units, whitespace skipped. */
function lineHash(text: string): number {
  return lineHashOf(text, 0, text.length);
}

/** lineHash of text[start, end), without slicing it off. */
function lineHashOf(text: string, start: number, end: number): number {
  let hash = FNV_OFFSET;
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    hash = code < 128 ? Math.imul(hash ^ XOR_BY_CODE[code]!, PRIME_BY_CODE[code]!) : Math.imul(hash ^ code, FNV_PRIME);
  }
  return hash;
}

/** Where the line lineHashOfBytes last hashed ended (its newline, or the end it was given). */
export const hashedLineEnd = { at: 0 };

/**
 * lineHash of the line that starts at data[start] and runs to its newline (or to `end`), read from
 * git's output as it came, bytes, without decoding it: the history's pass (PatchRecordParser) hashes
 * each diff line there, and finds where it ends in the same loop (hashedLineEnd.at). An ASCII
 * byte is its own UTF-16 code unit; a line with any other byte is decoded and hashed as text, as
 * lineHash reads it.
 */
export function lineHashOfBytes(data: Buffer, start: number, end: number): number {
  let hash = FNV_OFFSET;
  let ascii = true;
  let i = start;
  for (; i < end; i++) {
    const code = data[i]!;
    if (code === 0x0a) break;
    if (code < 128) hash = Math.imul(hash ^ XOR_BY_CODE[code]!, PRIME_BY_CODE[code]!);
    else ascii = false;
  }
  hashedLineEnd.at = i;
  if (ascii) return hash;
  const text = data.toString('utf8', start, i);
  return lineHashOf(text, 0, text.length);
}
