import { isUtf8 } from 'node:buffer';
import { closeSync, openSync, readSync } from 'node:fs';
import { SKIM_MIN_BYTES, skimLongStrings } from './skim.js';
import type { JsonLine, SkipReason } from './types.js';

export interface LineReadResult {
  /** Byte offset just past the last line consumed. */
  endOffset: number;
  /** Lines consumed so far in the file (line numbers continue from here next time). */
  endLine: number;
  bytesRead: number;
  /** The file's first `keepHead` bytes (fewer when it is shorter), when the read started at 0. */
  head?: Buffer;
}

export interface LineReadOptions {
  startOffset: number;
  startLine: number;
  /** Longer lines are skipped (and counted) without being held in memory. */
  maxLineBytes: number;
  onLine: (line: JsonLine) => void;
  onSkip: (reason: SkipReason, lineNumber: number, detail?: string) => void;
  /** Lines for which this says yes are parsed with their long strings dropped (skim.ts). */
  skim?: (bytes: Buffer) => boolean;
  /** How many bytes of each long string a skimmed line keeps. */
  skimKeepHead?: number;
  /** Decompressed content to read instead of the file (e.g. .jsonl.zst). */
  content?: Buffer;
  /** Keep a copy of this many bytes from the start of the file (a read from offset 0 only). */
  keepHead?: number;
}

const CHUNK = 1 << 20;
/**
 * One read buffer for every file: a fresh 1 MiB buffer per file costs a page fault for every page
 * that read() fills (0.52 -> 0.22 s of read time, profiled, on a 1 GB first ingest). Reads are
 * synchronous, so it is never shared.
 */
let readBuffer: Buffer | null = null;

/**
 * Reads a JSONL file from a byte offset, line by line, synchronously (it runs inside a write
 * transaction, where awaiting would only add latency). Complete lines are parsed and handed over;
 * malformed ones are skipped and counted with their line number. An unterminated last line is
 * consumed only if it is complete JSON; otherwise it is reported as truncated and left for the
 * next read (the writer may still be appending to it).
 */
export function readJsonLines(path: string, options: LineReadOptions): LineReadResult {
  const { maxLineBytes, onLine, onSkip, skim, skimKeepHead = 0 } = options;
  const offset = options.startOffset;
  let lineNumber = options.startLine;
  let consumed = offset;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let oversized = false;
  let bytesRead = 0;
  let head: Buffer | undefined;

  const emit = (bytes: Buffer, at: number) => {
    lineNumber++;
    if (bytes.length === 0 || (bytes.length === 1 && bytes[0] === 0x0d)) return;
    if (!isUtf8(bytes)) return onSkip('invalid_utf8', lineNumber);
    let value: unknown;
    try {
      // Only a line longer than SKIM_MIN_BYTES can hold a string to drop: most lines are not
      // asked, and the skim test is a byte search over the line's start (0.8 s of a 1 GB first ingest).
      const skimmed = skim && bytes.length >= SKIM_MIN_BYTES + 2 && skim(bytes);
      value = JSON.parse((skimmed ? skimLongStrings(bytes, SKIM_MIN_BYTES, skimKeepHead) : bytes).toString('utf8'));
    } catch (error) {
      return onSkip('invalid_json', lineNumber, (error as Error).message.slice(0, 80));
    }
    onLine({ value, bytes, offset: at, lineNumber });
  };

  const fd = options.content ? null : openSync(path, 'r');
  try {
    readBuffer ??= Buffer.allocUnsafe(CHUNK);
    const buffer = readBuffer;
    let position = offset;
    for (;;) {
      let chunk: Buffer;
      if (options.content) {
        if (position >= options.content.length) break;
        chunk = options.content.subarray(position, position + CHUNK);
      } else {
        const n = readSync(fd!, buffer, 0, CHUNK, position);
        if (n === 0) break;
        chunk = buffer.subarray(0, n);
      }
      if (position === 0 && options.keepHead) head = Buffer.from(chunk.subarray(0, options.keepHead));
      position += chunk.length;
      bytesRead += chunk.length;
      let start = 0;
      for (let nl = chunk.indexOf(0x0a, start); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
        const piece = chunk.subarray(start, nl);
        if (oversized) {
          lineNumber++;
          onSkip('oversized', lineNumber, `longer than ${maxLineBytes} bytes`);
        } else if (pendingBytes + piece.length > maxLineBytes) {
          lineNumber++;
          onSkip('oversized', lineNumber, `longer than ${maxLineBytes} bytes`);
        } else {
          const bytes = pendingBytes > 0 ? Buffer.concat([...pending, piece]) : piece;
          emit(bytes, consumed);
        }
        pending = [];
        pendingBytes = 0;
        oversized = false;
        start = nl + 1;
        consumed = position - chunk.length + start;
      }
      const rest = chunk.subarray(start);
      if (rest.length > 0 && !oversized) {
        if (pendingBytes + rest.length > maxLineBytes) {
          oversized = true;
          pending = [];
          pendingBytes = 0;
        } else {
          pending.push(Buffer.from(rest));
          pendingBytes += rest.length;
        }
      }
    }
    if (oversized) {
      onSkip('oversized', lineNumber + 1, 'unterminated last line');
    } else if (pendingBytes > 0) {
      const tail = Buffer.concat(pending);
      let complete = false;
      try {
        JSON.parse(tail.toString('utf8'));
        complete = isUtf8(tail);
      } catch {
        complete = false;
      }
      if (complete) {
        emit(tail, consumed);
        consumed += tail.length;
      } else {
        onSkip('truncated', lineNumber + 1, 'incomplete last line; read again when the file grows');
      }
    }
  } finally {
    if (fd !== null) closeSync(fd);
  }
  return { endOffset: consumed, endLine: lineNumber, bytesRead, ...(head ? { head } : {}) };
}
