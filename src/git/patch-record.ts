import type { FilePatch } from './patches.js';

/**
 * A commit's patch as the run's diff store keeps it (patch-store.ts): one line of JSON naming each
 * file's paths, how many lines it adds and removes and how many of the added ones the store's
 * `counted` holds (-1 without), then each file's lines in file order, each with its sign ('+'
 * added, '*' added and held by `counted`, '-' removed) and ended by a newline — a builder that
 * asks the same of each added line (churn: which are non-trivial) reads the answer there. A diff's
 * line never holds a newline (every one was split at them), so the lines need no escaping, and
 * with their signs a file's lines may come in the diff's own order: the history's pass copies each
 * hunk's run of lines from git's output as it stands, bytes to bytes (PatchRecordParser,
 * patches.ts), instead of joining a string per line and encoding the join again (~0.6 s of a first
 * run on git's own history). Lines of one sign keep their order; added and removed ones are read
 * apart, so a record written added-then-removed (encodeRecord, for a patch already split into
 * lines) reads the same.
 */
export type RecordHeader = [path: string, oldPath: string | null, added: number, removed: number, counted: number][];

/** A record made from git's output without splitting it into lines: its header, and its lines' bytes. */
export interface PatchRecord {
  sha: string;
  header: RecordHeader;
  /**
   * The lines: UTF-8 (or whatever bytes git wrote), each with its sign, each ended by a newline.
   * From the history's pass, lent for the call that hands it over (PatchSink, log.ts).
   */
  body: Buffer;
}

/**
 * Which added lines a record's header counts and its signs mark: one test, asked of a line's text,
 * of the line in place in a longer text, or of its bytes as git wrote them.
 */
export interface CountedLines {
  text(line: string): boolean;
  /** The same answer for the line text[start, end). */
  range(text: string, start: number, end: number): boolean;
  /** The same answer for the line data[start, end), UTF-8 bytes. */
  bytes(data: Buffer, start: number, end: number): boolean;
}

/**
 * A key of a line (a number), asked of the line in place in a text or of its UTF-8 bytes in place
 * in a record: the same number either way.
 */
export interface LineKey {
  text(text: string, start: number, end: number): number;
  bytes(data: Buffer, start: number, end: number): number;
  /**
   * Every line of a record's text at once (optional): each line's key without its first byte, and
   * that byte, lent until the next call; null when the text does not end with a newline, or when
   * it cannot (the caller then reads line by line).
   */
  signedLines?(data: Buffer, start: number, end: number): SignedKeys | null;
}

/** A record's lines as keys (of each line without its sign) and signs, in order (LineKey.signedLines). */
export interface SignedKeys {
  keys: Float64Array;
  signs: Uint8Array;
}

export const PLUS = 0x2b;
/** The sign of an added line that `counted` holds. */
export const STAR = 0x2a;
export const MINUS = 0x2d;

/** A record's text from a patch's lines: its header, then each file's added lines, then its removed ones. */
export function encodeRecord(files: readonly FilePatch[], counted?: (line: string) => boolean): string {
  const header: RecordHeader = [];
  const parts: string[] = [''];
  for (const f of files) {
    let held = 0;
    for (const line of f.added) {
      const marked = counted?.(line) === true;
      if (marked) held++;
      parts.push(`${marked ? '*' : '+'}${line}`);
    }
    for (const line of f.removed) parts.push(`-${line}`);
    header.push([f.path, f.oldPath, f.added.length, f.removed.length, counted ? held : -1]);
  }
  parts[0] = JSON.stringify(header);
  parts.push('');
  return parts.join('\n');
}

/** The header's line of a record (its text, with the newline that ends it). */
export function headerText(header: RecordHeader): string {
  return `${JSON.stringify(header)}\n`;
}

/** A record's header, and where its lines start in its text. */
export function readHeader(record: string): { header: RecordHeader; from: number } {
  const end = record.indexOf('\n');
  return { header: JSON.parse(record.slice(0, end)) as RecordHeader, from: end + 1 };
}

/**
 * A record's files with their lines as strings. Throws `damaged()` unless each file holds the
 * added and removed lines its header says and the text ends with the last.
 */
export function decodeFiles(text: string, from: number, header: RecordHeader, damaged: () => Error): FilePatch[] {
  let at = from;
  const files = header.map(([path, oldPath, addedCount, removedCount]): FilePatch => {
    const added: string[] = [];
    const removed: string[] = [];
    for (let n = addedCount + removedCount; n > 0; n--) {
      const end = text.indexOf('\n', at);
      if (end < 0) throw damaged();
      const sign = text.charCodeAt(at);
      if ((sign === PLUS || sign === STAR) && added.length < addedCount) added.push(text.slice(at + 1, end));
      else if (sign === MINUS && removed.length < removedCount) removed.push(text.slice(at + 1, end));
      else throw damaged();
      at = end + 1;
    }
    return { path, oldPath, added, removed };
  });
  if (at !== text.length) throw damaged();
  return files;
}
