import { type LineReadResult, readJsonLines } from '../providers/jsonl.js';
import type { LineParser, SkipReason } from '../providers/types.js';

/** How much of a transcript's start a read keeps, to know it again (the watermark's head checksum). */
export const HEAD_BYTES = 4096;
export const DEFAULT_MAX_LINE = 32 * 1024 * 1024;

export interface TranscriptLineOptions {
  startOffset: number;
  startLine: number;
  maxLineBytes?: number;
  /** Parse tool-output lines without their long strings when the parser allows it. */
  skim: boolean;
  /** Decompressed content to read instead of the file. */
  content?: Buffer;
  /** Called after each line the parser took. */
  afterLine?: () => void;
}

/** A `jsonl` transcript's lines from a start point, handed to its provider's parser: on either thread, the same read. */
export function readTranscriptLines(
  path: string,
  parser: LineParser,
  onSkip: (reason: SkipReason, lineNumber: number, detail?: string) => void,
  options: TranscriptLineOptions,
): LineReadResult {
  return readJsonLines(path, {
    startOffset: options.startOffset,
    startLine: options.startLine,
    maxLineBytes: options.maxLineBytes ?? DEFAULT_MAX_LINE,
    onLine: options.afterLine
      ? (line) => {
          parser.line(line);
          options.afterLine!();
        }
      : (line) => parser.line(line),
    ...(parser.skimmable && options.skim
      ? { skim: (bytes: Buffer) => parser.skimmable!(bytes), skimKeepHead: parser.skimKeepsHead ?? 0 }
      : {}),
    onSkip,
    ...(options.content ? { content: options.content } : { keepHead: HEAD_BYTES }),
  });
}
