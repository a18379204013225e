import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CountedLines,
  decodeFiles,
  encodeRecord,
  headerText,
  type LineKey,
  MINUS,
  PLUS,
  type PatchRecord,
  type RecordHeader,
  STAR,
} from './patch-record.js';

import { type CommitPatch, type FilePatch, type ReadPatchesOptions, readCommitPatches } from './patches.js';

/**
 * The commit diffs one run has read, kept for the steps after the one that read them: the
 * history's pass (src/git/log.ts) reads every new commit's diff with its patch-id, attribution the
 * older ones it replays, and attribution, churn and the outcome rules take theirs from here
 * instead of git diffing the same commits again (on git's own history churn's own pass was 74 s of
 * git's CPU, a sixth of the first run). Only the index (commit → offset, length, patch-id) is held
 * in memory; the patches go to one file (their records: patch-record.ts), removed from its folder as soon as it is
 * opened, so a run killed at any moment leaves nothing behind. The file lives beside the database
 * (a folder on disk; the system's temporary folder may be memory). A store that cannot write keeps nothing: every
 * reader then asks git, as without it.
 */
export class PatchStore {
  private fd: number | null = null;
  /** The file's folder, when the system would not remove it while the file was open. */
  private folder: string | null = null;
  private broken = false;
  /** Bytes in the file. */
  private written = 0;
  /** Each kept patch's place in the file, and its patch-id once known (null: an empty diff). */
  private readonly index = new Map<string, { offset: number; length: number; id?: string | null }>();
  /**
   * Kept patches not yet in the file, encoded into one reused buffer outside V8's heap (a run that
   * keeps less than its size never makes the file). Each patch's text dies young: held as strings
   * until the write, they were promoted to the old generation and the 80k first run's heap grew by
   * ~40 MB before a full collection; a buffer per patch, as first written, cost as much.
   */
  private writeBuffer: Buffer | null = null;
  private buffered = 0;
  /**
   * The file's bytes [windowStart, windowEnd) last read. The builders read the kept patches in
   * runs (a first run's attribution, churn and outcome rules each go through most of them in the
   * order written, or its reverse): a read of the file per patch was a system call per commit per
   * builder (128,572 reads in a first run on git's own history, 109,723 on the 80k bench
   * history: with their decoding 4.0 s and 1.6 s of node's ~60 s; the windows took 0.4 s off the
   * first, 128 KB ones 0.5 s off the second). A read near the last one takes READ_WINDOW bytes from it in that direction, and
   * the patches there come from memory; one far from it reads that patch alone, so a reader that
   * jumps about reads about the bytes it asks for.
   */
  private readBuffer = Buffer.alloc(0);
  private windowStart = 0;
  private windowEnd = 0;
  private lastOffset = -1;
  /** The last record read that was larger than the read buffer, read alone. */
  private large: { offset: number; data: Buffer } | null = null;

  /**
   * `dir`: where the file is made (null: the system's temporary folder). `counted`: the added lines
   * each file's summary counts (summaryOf): a builder that needs a commit's count and paths but
   * not its lines then reads no line.
   */
  constructor(
    private readonly dir: string | null,
    private readonly counted?: CountedLines,
  ) {}

  /** What the records the history's pass makes for this store must count (readCommits' `counted`). */
  get countedBytes(): CountedLines['bytes'] | undefined {
    return this.counted?.bytes;
  }

  /** Keeps a patch read from git (the first one kept for a commit stays). */
  keep(patch: CommitPatch): void {
    if (this.broken || this.index.has(patch.sha)) return;
    this.append(patch.sha, encodeRecord(patch.files, this.counted?.text), null);
  }

  /**
   * Keeps a patch the history's pass recorded (PatchRecordParser), its lines' bytes as git wrote
   * them; its header counts what `countedBytes` counts.
   */
  keepRecord(record: PatchRecord): void {
    if (this.broken || this.index.has(record.sha)) return;
    this.append(record.sha, headerText(record.header), record.body);
  }

  /** Appends a record: `text`, then `bytes` (null: none). */
  private append(sha: string, text: string, bytes: Buffer | null): void {
    const textLength = Buffer.byteLength(text, 'utf8');
    const length = textLength + (bytes?.length ?? 0);
    if (this.buffered + length > BUFFER_BYTES) this.flush();
    if (this.broken) return;
    const offset = this.written + this.buffered;
    if (length > BUFFER_BYTES) {
      // Larger than the buffer (a vendored library's import): written as it is.
      const whole = bytes ? Buffer.concat([Buffer.from(text, 'utf8'), bytes]) : Buffer.from(text, 'utf8');
      if (!this.writeOut(whole)) return;
    } else {
      this.writeBuffer ??= Buffer.allocUnsafe(BUFFER_BYTES);
      this.writeBuffer.write(text, this.buffered, 'utf8');
      if (bytes) bytes.copy(this.writeBuffer, this.buffered + textLength);
      this.buffered += length;
    }
    this.index.set(sha, { offset, length });
  }

  /**
   * The patch-ids of the patches kept so far that have none yet (`found`, from one patch-id fed
   * their text: a patch not in it is an empty diff).
   */
  settlePatchIds(found: ReadonlyMap<string, string>): void {
    if (this.broken) return;
    for (const [sha, at] of this.index) if (at.id === undefined) at.id = found.get(sha) ?? null;
  }

  /** A kept patch's patch-id (null: an empty diff; undefined: not known). */
  patchId(sha: string): string | null | undefined {
    return this.broken ? undefined : this.index.get(sha)?.id;
  }

  has(sha: string): boolean {
    return !this.broken && this.index.has(sha);
  }

  /**
   * A kept patch (undefined: not kept). Its header is read now; its lines are decoded when first
   * asked for (`files`, or keyedFiles): attribution needs only the paths and counts of a commit none
   * of whose paths a session wrote (summaryOf) — most commits of most histories —, and decoding
   * every record whole to read its header was ~0.7 s of a first run on git's own history.
   */
  get(sha: string): CommitPatch | undefined {
    const at = this.broken ? undefined : this.index.get(sha);
    if (!at) return undefined;
    const bytes = this.recordBytes(sha, at.offset, at.length);
    if (!bytes) return undefined;
    const { data, start, end } = bytes;
    const headerEnd = data.indexOf(NEWLINE, start);
    if (headerEnd < 0 || headerEnd >= end) throw damagedRecord(sha)();
    const header = JSON.parse(data.toString('utf8', start, headerEnd)) as RecordHeader;
    const linesFrom = headerEnd + 1 - start;
    diffsKept.count++;
    return storedPatch(sha, header, () => this.linesBytes(sha, at, linesFrom), this.counted?.range ?? null);
  }

  /**
   * A kept record's lines (from `from`, a byte offset into the record), lent until the store's
   * next read: from the read window when it still holds them (a builder asks right after get), else
   * read again. A store that broke after giving the patch still reads what it holds (writeOut); one
   * closed has nothing to read.
   */
  private linesBytes(sha: string, at: { offset: number; length: number }, from: number): LentBytes {
    const bytes = this.recordBytes(sha, at.offset, at.length);
    if (!bytes) throw new Error(`paceflow's diff store was closed before the lines of ${sha} were read`);
    return { data: bytes.data, start: bytes.start + from, end: bytes.end };
  }

  /**
   * Where the record at [offset, offset + length) of the file stands in memory, read from the file
   * into the read window when it is not there (undefined: the store holds no file). The bytes are
   * lent until the next read.
   */
  private recordBytes(sha: string, offset: number, length: number): LentBytes | undefined {
    if (offset >= this.written) {
      if (!this.writeBuffer) return undefined;
      const start = offset - this.written;
      return { data: this.writeBuffer, start, end: start + length };
    }
    // Read from the file, not copied per patch: a copy of the bytes per patch read (three reads of
    // every commit on a first run) went through malloc, and node's resident size grew by ~40 MB.
    if (this.fd === null) return undefined;
    const end = offset + length;
    const last = this.lastOffset;
    this.lastOffset = offset;
    if (this.large?.offset === offset) return { data: this.large.data, start: 0, end: length };
    this.large = null;
    if (offset >= this.windowStart && end <= this.windowEnd) {
      const from = offset - this.windowStart;
      return { data: this.readBuffer, start: from, end: from + length };
    }
    if (length > BUFFER_BYTES) {
      // Larger than the window (a vendored library's import): read alone, into a buffer held until
      // another record is read (its lines are asked right after its header), so the run does not
      // hold the largest patch's size for its rest.
      const data = Buffer.allocUnsafe(length);
      this.readFile(sha, data, 0, length, offset);
      this.large = { offset, data };
      return { data, start: 0, end: length };
    }
    if (this.readBuffer.length < BUFFER_BYTES) this.readBuffer = Buffer.allocUnsafe(BUFFER_BYTES);
    // Near the last read: the window in the direction the reader goes. Elsewhere, or larger than
    // the window: this patch only.
    let start = offset;
    let stop = end;
    if (last >= 0 && length < READ_WINDOW && Math.abs(offset - last) <= READ_NEAR) {
      if (offset >= last) stop = Math.min(this.written, offset + READ_WINDOW);
      else start = Math.max(0, end - READ_WINDOW);
    }
    this.readFile(sha, this.readBuffer, 0, stop - start, start);
    this.windowStart = start;
    this.windowEnd = stop;
    const from = offset - start;
    return { data: this.readBuffer, start: from, end: from + length };
  }

  private readFile(sha: string, buffer: Buffer, at: number, length: number, position: number): void {
    storeFileReads.count++;
    storeFileReads.bytes += length;
    for (let read = 0; read < length; ) {
      const n = readSync(this.fd!, buffer, at + read, length - read, position + read);
      if (n === 0) throw new Error(`paceflow's diff store ended early reading ${sha}`);
      read += n;
    }
  }

  /** How many patches are kept. */
  get size(): number {
    return this.broken ? 0 : this.index.size;
  }

  /** Lets the file go (its space is freed: it has no name). */
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    if (this.folder !== null) removeFolder(this.folder);
    this.folder = null;
    this.index.clear();
    this.writeBuffer = null;
    this.buffered = 0;
    this.readBuffer = Buffer.alloc(0);
    this.windowStart = this.windowEnd = 0;
    this.lastOffset = -1;
    this.large = null;
  }

  private flush(): void {
    if (this.buffered === 0 || this.broken) return;
    if (this.writeOut(this.writeBuffer!.subarray(0, this.buffered))) this.buffered = 0;
  }

  /** Appends to the file (made on the first write); false when that failed and the store broke. */
  private writeOut(data: Buffer): boolean {
    try {
      if (this.fd === null) {
        const made = openUnnamed(this.dir);
        this.fd = made.fd;
        this.folder = made.left;
      }
      for (let done = 0; done < data.length; ) done += writeSync(this.fd, data, done, data.length - done, this.written + done);
      this.written += data.length;
      return true;
    } catch {
      // A full disk or a folder that cannot be written: keep nothing more and give nothing, so every
      // reader asks git. The file and the buffer stay until close(): a patch given before reads its
      // lines when asked (get).
      this.broken = true;
      this.index.clear();
      return false;
    }
  }
}

/** A file of a kept patch without its lines: its paths, its counts, and the added lines the store's `counted` holds. */
export interface FileSummary {
  path: string;
  oldPath: string | null;
  added: number;
  removed: number;
  counted: number;
}

/** The header of each patch the store gave whose files were counted. */
const headers = new WeakMap<CommitPatch, RecordHeader>();

/** The lines of each patch the store gave, while they are not split into strings (null after). */
const records = new WeakMap<CommitPatch, () => { lines: LentBytes; header: RecordHeader; marks: LineOf<boolean> | null } | null>();

/** Bytes data[start, end) lent for the call: the store reads over them next. */
interface LentBytes {
  data: Buffer;
  start: number;
  end: number;
}

/** A line of a text, by where it stands: [start, end). */
export type LineOf<T> = (text: string, start: number, end: number) => T;

/** A file of a patch with each line as a number (a key of its text) and, for its added lines, a flag. */
export interface KeyedFile {
  path: string;
  oldPath: string | null;
  added: Float64Array;
  /** 1 where `flag` held for the added line (empty when none was asked). */
  addedFlags: Uint8Array;
  removed: Float64Array;
}

/**
 * A patch's files as the keys of their lines, not the lines: a builder that compares lines by a
 * hash (churn) takes each where it stands in a kept patch's record, from its bytes (`key.bytes`),
 * never decoding the record or splitting it into a string per line (git's own history's mainline:
 * every line of it, once a first run). A patch from git, or one whose lines were read already, is
 * keyed from its lines (`key.text`): the same numbers either way. `flag` (optional: empty flags
 * without it) is asked of each added line — or read from its sign when it is the store's own
 * `counted` test (its `range`), which marked the record's lines as they were kept (churn's
 * non-trivial lines: ~0.5 s of a first run on git's own history asked again).
 */
export function keyedFiles(patch: CommitPatch, key: LineKey, flag?: LineOf<boolean>): KeyedFile[] {
  const record = records.get(patch)?.();
  if (!record) {
    return patch.files.map((f) => ({
      path: f.path,
      oldPath: f.oldPath,
      added: Float64Array.from(f.added, (line) => key.text(line, 0, line.length)),
      addedFlags: flag ? Uint8Array.from(f.added, (line) => (flag(line, 0, line.length) ? 1 : 0)) : new Uint8Array(0),
      removed: Float64Array.from(f.removed, (line) => key.text(line, 0, line.length)),
    }));
  }
  const { lines, header } = record;
  const { data } = lines;
  const marked = flag !== undefined && record.marks === flag;
  const line = new RecordLines(lines, damagedRecord(patch.sha));
  const files = header.map(([path, oldPath, addedCount, removedCount]): KeyedFile => {
    const added = new Float64Array(addedCount);
    const addedFlags = new Uint8Array(flag ? addedCount : 0);
    const removed = new Float64Array(removedCount);
    let a = 0;
    let r = 0;
    line.file(addedCount, removedCount);
    for (let n = addedCount + removedCount; n > 0; n--) {
      line.next();
      if (line.sign === MINUS) {
        removed[r++] = key.bytes(data, line.start, line.stop);
        continue;
      }
      if (marked) addedFlags[a] = line.sign === STAR ? 1 : 0;
      else if (flag) {
        const text = data.toString('utf8', line.start, line.stop);
        addedFlags[a] = flag(text, 0, text.length) ? 1 : 0;
      }
      added[a++] = key.bytes(data, line.start, line.stop);
    }
    return { path, oldPath, added, addedFlags, removed };
  });
  line.finish();
  return files;
}

/**
 * A record's lines one at a time, file by file, each line's sign (patch-record.ts: added and
 * removed lines in the diff's order) checked against what its file's counts leave: a record that is
 * not what its header says throws `damaged`.
 */
class RecordLines {
  /** The current line's sign (PLUS, STAR or MINUS) and its bytes without it, [start, stop). */
  sign = 0;
  start = 0;
  stop = 0;
  private at: number;
  private addedLeft = 0;
  private removedLeft = 0;

  constructor(
    private readonly lines: LentBytes,
    private readonly damaged: () => Error,
  ) {
    this.at = lines.start;
  }

  /** The next file's lines come: this many added and removed. */
  file(added: number, removed: number): void {
    this.addedLeft = added;
    this.removedLeft = removed;
  }

  next(): void {
    const { data, end } = this.lines;
    const stop = data.indexOf(NEWLINE, this.at);
    if (stop < 0 || stop >= end) throw this.damaged();
    const sign = data[this.at]!;
    if ((sign === PLUS || sign === STAR) && this.addedLeft > 0) this.addedLeft--;
    else if (sign === MINUS && this.removedLeft > 0) this.removedLeft--;
    else throw this.damaged();
    this.sign = sign;
    this.start = this.at + 1;
    this.stop = stop;
    this.at = stop + 1;
  }

  /** The record ends where its last file's lines do. */
  finish(): void {
    if (this.at !== this.lines.end) throw this.damaged();
  }
}

/**
 * The added lines the store's `counted` holds (signed '*') of the files of a kept patch that `pick`
 * picks (by index into its summary), each where it stands in the record's bytes, lent for the call:
 * a reader that wants a few of them as text (attribution: the lines a session wrote) decodes those,
 * not the record. The other files' lines are passed over unread. False, calling nothing, when the
 * patch's record is not at hand — one from git, a store made without `counted`, or lines split
 * already: read its `files` then.
 */
export function forEachCountedLine(
  patch: CommitPatch,
  pick: (file: number) => boolean,
  line: (file: number, data: Buffer, start: number, end: number) => void,
): boolean {
  const header = headers.get(patch);
  const record = header ? records.get(patch)?.() : null;
  if (!header || !record || record.marks === null) return false;
  const { data } = record.lines;
  const read = new RecordLines(record.lines, damagedRecord(patch.sha));
  for (let i = 0; i < header.length; i++) {
    const [, , addedCount, removedCount] = header[i]!;
    const picked = addedCount > 0 && pick(i);
    read.file(addedCount, removedCount);
    for (let n = addedCount + removedCount; n > 0; n--) {
      read.next();
      if (picked && read.sign === STAR) line(i, data, read.start, read.stop);
    }
  }
  read.finish();
  return true;
}

/**
 * The files of a patch the store gave, without reading its lines (undefined: a patch from git, or a
 * store made without `counted`).
 */
export function summaryOf(patch: CommitPatch): readonly FileSummary[] | undefined {
  return headers.get(patch)?.map(([path, oldPath, added, removed, counted]) => ({ path, oldPath, added, removed, counted }));
}

/** A patch from its record's header, `files` decoded from its lines (`lines`) when first read. */
function storedPatch(sha: string, header: RecordHeader, lines: () => LentBytes, marks: LineOf<boolean> | null): CommitPatch {
  let files: FilePatch[] | undefined;
  const patch = {} as CommitPatch;
  Object.defineProperties(patch, {
    sha: { value: sha, enumerable: true, writable: true },
    files: {
      enumerable: true,
      get: () => {
        if (!files) {
          const { data, start, end } = lines();
          files = decodeFiles(data.toString('utf8', start, end), 0, header, damagedRecord(sha));
        }
        return files;
      },
    },
  });
  if (header.every((f) => f[4] >= 0)) headers.set(patch, header);
  // Once split, the lines are what a reader asks for (keyedFiles keys them).
  records.set(patch, () => (files ? null : { lines: lines(), header, marks }));
  return patch;
}

/** The error of a record that is not what its header says. */
function damagedRecord(sha: string): () => Error {
  return () => new Error(`paceflow's diff store holds a damaged record for ${sha}`);
}

/** The write buffer's size, and the reused read buffer's: patches up to it are read into that. */
const BUFFER_BYTES = 1 << 20;

const NEWLINE = 0x0a;

/**
 * How much a read near the last one (within READ_NEAR) takes. Measured on the reads of two first
 * runs (offsets and lengths logged, the policies replayed): the 80k bench history read its 207 MB
 * file 109,723 times, 102k of them just before the last read; git's own history 128,572 times,
 * its builders skipping the patches of other branches between two reads. 64 KB within 16 KB:
 * 17,058 reads of 551 MB (411 MB asked) and 37,020 of 1,464 MB (504 MB asked); 128 KB within
 * 128 KB read git's own history's patches 4.7 times over (26,833 reads, 2,373 MB).
 */
const READ_WINDOW = 64 << 10;
const READ_NEAR = 16 << 10;

/**
 * A new file in a new folder under `dir`, opened and then removed with its folder. Unix keeps an
 * open file whose name is gone; where a system refuses (Windows, or NFS renaming the open file),
 * `left` names the folder, removed again when the store closes.
 */
function openUnnamed(dir: string | null): { fd: number; left: string | null } {
  const folder = mkdtempSync(join(dir ?? tmpdir(), '.paceflow-diffs-'));
  let fd: number;
  try {
    fd = openSync(join(folder, 'diffs'), 'w+', 0o600);
  } catch (error) {
    removeFolder(folder);
    throw error;
  }
  return { fd, left: removeFolder(folder) ? null : folder };
}

/** Removes a folder and what it holds; false when it could not (nothing fails for it). */
function removeFolder(folder: string): boolean {
  try {
    rmSync(folder, { recursive: true, force: true });
    return !existsSync(folder);
  } catch {
    return false;
  }
}

/**
 * The diffs of `shas` in the order given, one per commit: kept ones from the store, the rest from
 * one `git log` (readCommitPatches) — the same text either way, so a first run, whose builders find
 * every diff the history's pass or attribution read, and a later run, which asks git, give the same
 * rows. `onPatchIds`: the ids of the commits from git (readCommitPatches) and of those from the
 * store whose id it knows, once every diff was read.
 */
export async function* readPatches(
  store: PatchStore | undefined,
  shas: readonly string[],
  options: ReadPatchesOptions,
): AsyncGenerator<CommitPatch> {
  const { onPatchIds, ...gitOptions } = options;
  const missing = store ? shas.filter((sha) => !store.has(sha)) : shas;
  if (missing.length === shas.length) {
    yield* readCommitPatches(shas, options);
    return;
  }
  const ids = new Map<string, string | null>();
  const fromGit =
    missing.length > 0
      ? readCommitPatches(missing, {
          ...gitOptions,
          ...(onPatchIds
            ? {
                onPatchIds: (found) => {
                  for (const [sha, id] of found) ids.set(sha, id);
                },
              }
            : {}),
        })
      : null;
  // git answers the missing ones in the order asked; one it skipped is not waited for twice.
  const early = new Map<string, CommitPatch>();
  let gitDone = fromGit === null;
  const next = async (sha: string): Promise<CommitPatch | undefined> => {
    while (!early.has(sha) && !gitDone) {
      const r = await fromGit!.next();
      if (r.done) gitDone = true;
      else early.set(r.value.sha, r.value);
    }
    const patch = early.get(sha);
    early.delete(sha);
    return patch;
  };
  try {
    for (const sha of shas) {
      if (store!.has(sha)) {
        const patch = store!.get(sha);
        const id = store!.patchId(sha);
        if (onPatchIds && id !== undefined) ids.set(sha, id);
        if (patch) yield patch;
      } else {
        const patch = await next(sha);
        if (patch) yield patch;
      }
    }
    // The git stream's ids come once it ended (onPatchIds is not called after a failure).
    while (!gitDone) if ((await fromGit!.next()).done) gitDone = true;
    if (onPatchIds && ids.size > 0) onPatchIds(ids);
  } finally {
    await fromGit?.return(undefined);
  }
}

/** Diffs this process took from a store instead of git (what `--work` and the benches read). Never reset here. */
export const diffsKept = { count: 0 };

/** Reads of a store's file this process made, and their bytes (what the store's test counts). Never reset here. */
export const storeFileReads = { count: 0, bytes: 0 };
