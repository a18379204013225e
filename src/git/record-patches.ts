import { decodeFiles, type LineKey, MINUS, PLUS, type RecordHeader, type SignedKeys, STAR } from './patch-record.js';
import type { CommitPatch, FilePatch } from './patches.js';

/**
 * Commit patches backed by their records (patch-record.ts): the diff store's (patch-store.ts) and
 * the ones read from git (readCommitPatches, patches.ts) alike. Such a patch carries its header
 * and its lines' bytes; `files` splits them into a string per line only when a reader asks, and the
 * readers that compare lines by a key (keyedFiles) or want a few of them (forEachCountedLine)
 * read the bytes where they stand. A patch read from git as strings held every added and removed
 * line as one: on git's own history with its pull requests, one whole-tree branch commit's patch
 * was ~180 MB of the outcome build's heap for seconds.
 */

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

/**
 * A patch's record while its lines are not split into strings: its header, its lines (lent for the
 * call), the test its signs mark, and the error its lines give when they are not what the header
 * counts (naming where the record came from: the store or git).
 */
interface UnsplitRecord {
  lines: RecordBytes;
  header: RecordHeader;
  marks: LineOf<boolean> | null;
  damaged: () => Error;
}

/** The lines of each patch the store or git gave, while they are not split into strings (null after). */
const records = new WeakMap<CommitPatch, () => UnsplitRecord | null>();

/** Bytes data[start, end) lent for the call (a store's: it reads over them next). */
export interface LentBytes {
  data: Buffer;
  start: number;
  end: number;
}

/**
 * A record's lines too large to hold at once (the store's records larger than its read window),
 * read in windows as a reader goes through them: `read` puts the lines' bytes [position, position +
 * length) into `into` at `at`. Read whole, git's own history's whole-tree branch commit (64 MB of
 * lines) was its outcome build's top, twice for about a second each (the revert and content rules).
 */
export interface PagedBytes {
  length: number;
  read(into: Buffer, at: number, length: number, position: number): void;
}

/** A record's lines: lent whole, or paged. */
export type RecordBytes = LentBytes | PagedBytes;

/** A record's lines whole, read into one buffer when paged (a reader that wants them as text). */
export function wholeBytes(bytes: RecordBytes): LentBytes {
  if ('data' in bytes) return bytes;
  const data = Buffer.allocUnsafe(bytes.length);
  bytes.read(data, 0, bytes.length, 0);
  return { data, start: 0, end: bytes.length };
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

/** A file of a patch with its added lines as numbers and their flags: what a reader of added lines alone asks (addedKeyedFiles). */
export type AddedKeyedFile = Omit<KeyedFile, 'removed'>;

/** One file's added lines' keys and flags (1: its line test held), as a keying parser read them (patches.ts). */
export interface AddedKeys {
  keys: Float64Array;
  flags: Uint8Array;
}

/** The added lines of each patch read as keys only (addedKeysPatch): the key and the line test they were read with. */
const addedKeysHeld = new WeakMap<CommitPatch, { key: LineKey; marks: LineOf<boolean> | null; files: AddedKeyedFile[] }>();

/**
 * A patch read from git as its added lines' keys only (ReadPatchesOptions.keyed): its files' keys
 * and flags, and no lines — reading `files` (or keyedFiles, which keys removed lines too) throws.
 * `marks`: the line test the flags answer (as recordPatch's).
 */
export function addedKeysPatch(
  sha: string,
  header: RecordHeader,
  added: readonly AddedKeys[],
  key: LineKey,
  marks: LineOf<boolean> | null,
): CommitPatch {
  const patch = {} as CommitPatch;
  Object.defineProperties(patch, {
    sha: { value: sha, enumerable: true, writable: true },
    files: {
      get: () => {
        throw new Error(`paceflow read the lines of ${sha}'s diff, which was read as its added lines' keys alone`);
      },
    },
  });
  const files = header.map(([path, oldPath], i): AddedKeyedFile => {
    const { keys, flags } = added[i]!;
    return { path, oldPath, added: keys, addedFlags: marks ? flags : new Uint8Array(0) };
  });
  addedKeysHeld.set(patch, { key, marks, files });
  return patch;
}

/**
 * keyedFiles without the removed lines, for a reader that compares added lines alone (the content
 * rule): from the keys a patch read as keys only holds (addedKeysPatch) — `key` and `flag` must be
 * the ones it was read with — or else keyed as keyedFiles keys, its removed lines passed over.
 */
export function addedKeyedFiles(patch: CommitPatch, key: LineKey, flag?: LineOf<boolean>): AddedKeyedFile[] {
  const held = addedKeysHeld.get(patch);
  if (!held) return keyedFiles(patch, key, flag, false).map(({ removed: _, ...added }) => added);
  if (held.key !== key || (flag !== undefined && flag !== held.marks))
    throw new Error(`paceflow asked for keys of ${patch.sha}'s added lines other than the ones it read them as`);
  return flag ? held.files : held.files.map((f) => ({ ...f, addedFlags: new Uint8Array(0) }));
}

/**
 * A patch's files as the keys of their lines, not the lines: a builder that compares lines by a
 * hash (churn) takes each where it stands in a kept patch's record, from its bytes (`key.bytes`),
 * never decoding the record or splitting it into a string per line (git's own history's mainline:
 * every line of it, once a first run). A patch from git, or one whose lines were read already, is
 * keyed from its lines (`key.text`): the same numbers either way. `flag` (optional: empty flags
 * without it) is asked of each added line — or read from its sign when it is the store's own
 * `counted` test (its `range`), which marked the record's lines as they were kept (churn's
 * non-trivial lines: ~0.5 s of a first run on git's own history asked again). `withRemoved`
 * false: the removed lines are passed over, not keyed (addedKeyedFiles).
 */
export function keyedFiles(patch: CommitPatch, key: LineKey, flag?: LineOf<boolean>, withRemoved = true): KeyedFile[] {
  const record = records.get(patch)?.();
  if (!record) {
    return patch.files.map((f) => ({
      path: f.path,
      oldPath: f.oldPath,
      added: Float64Array.from(f.added, (line) => key.text(line, 0, line.length)),
      addedFlags: flag ? Uint8Array.from(f.added, (line) => (flag(line, 0, line.length) ? 1 : 0)) : new Uint8Array(0),
      removed: withRemoved ? Float64Array.from(f.removed, (line) => key.text(line, 0, line.length)) : NO_KEYS,
    }));
  }
  const { lines, header } = record;
  const marked = flag !== undefined && record.marks === flag;
  // Every line keyed at once, where the key can (a flag asked of each added line's text needs the
  // line) — the removed lines too when they are not wanted (addedKeyedFiles): keying them in
  // WebAssembly costs less than finding each line's end to pass over it and keying the added ones
  // in JavaScript (20,000 of the 80k bench history's patches: 0.92–0.97 s → 0.55–0.61 s, session 78).
  const signed = 'data' in lines && (marked || !flag) ? key.signedLines?.(lines.data, lines.start, lines.end) : undefined;
  if (signed) return filesOfSigned(signed, header, marked, withRemoved, record.damaged);
  const line = new RecordLines(lines, record.damaged);
  const files = header.map(([path, oldPath, addedCount, removedCount]): KeyedFile => {
    const added = new Float64Array(addedCount);
    const addedFlags = new Uint8Array(flag ? addedCount : 0);
    const removed = withRemoved ? new Float64Array(removedCount) : NO_KEYS;
    let a = 0;
    let r = 0;
    line.file(addedCount, removedCount);
    for (let n = addedCount + removedCount; n > 0; n--) {
      line.next();
      const { data } = line;
      if (line.sign === MINUS) {
        if (withRemoved) removed[r++] = key.bytes(data, line.start, line.stop);
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
 * keyedFiles from a record's lines keyed all at once (LineKey.signedLines), each sign checked as
 * RecordLines checks it: a record that is not what its header says throws `damaged`.
 */
function filesOfSigned(
  { keys, signs }: SignedKeys,
  header: RecordHeader,
  marked: boolean,
  withRemoved: boolean,
  damaged: () => Error,
): KeyedFile[] {
  let i = 0;
  const files = header.map(([path, oldPath, addedCount, removedCount]): KeyedFile => {
    const added = new Float64Array(addedCount);
    const addedFlags = new Uint8Array(marked ? addedCount : 0);
    const removed = withRemoved ? new Float64Array(removedCount) : NO_KEYS;
    let a = 0;
    let r = 0;
    if (i + addedCount + removedCount > keys.length) throw damaged();
    for (let n = addedCount + removedCount; n > 0; n--, i++) {
      const sign = signs[i]!;
      if (sign === MINUS) {
        if (r === removedCount) throw damaged();
        if (withRemoved) removed[r] = keys[i]!;
        r++;
        continue;
      }
      if ((sign !== PLUS && sign !== STAR) || a === addedCount) throw damaged();
      if (marked) addedFlags[a] = sign === STAR ? 1 : 0;
      added[a++] = keys[i]!;
    }
    return { path, oldPath, added, addedFlags, removed };
  });
  if (i !== keys.length) throw damaged();
  return files;
}

/**
 * A record's lines one at a time, file by file, each line's sign (patch-record.ts: added and
 * removed lines in the diff's order) checked against what its file's counts leave: a record that is
 * not what its header says throws `damaged`. A paged record is read a window at a time into a
 * buffer of its own (grown only for a line longer than it): the current line stands in `data`
 * [start, stop) until the next one is asked.
 */
class RecordLines {
  /** The current line's sign (PLUS, STAR or MINUS) and its bytes without it, data[start, stop). */
  sign = 0;
  start = 0;
  stop = 0;
  data: Buffer;
  private at: number;
  /** Where the bytes in `data` end: the record's end, or the window's. */
  private end: number;
  /** A paged record's source, and where in its lines the next window starts (read: how far). */
  private readonly paged: PagedBytes | null;
  private read = 0;
  private addedLeft = 0;
  private removedLeft = 0;

  constructor(
    lines: RecordBytes,
    private readonly damaged: () => Error,
  ) {
    if ('data' in lines) {
      this.paged = null;
      this.data = lines.data;
      this.at = lines.start;
      this.end = lines.end;
    } else {
      this.paged = lines;
      this.data = Buffer.allocUnsafe(Math.min(PAGE_BYTES, lines.length));
      this.at = this.end = 0;
    }
  }

  /** The next file's lines come: this many added and removed. */
  file(added: number, removed: number): void {
    this.addedLeft = added;
    this.removedLeft = removed;
  }

  next(): void {
    let stop = this.data.indexOf(NEWLINE, this.at);
    while ((stop < 0 || stop >= this.end) && this.page()) stop = this.data.indexOf(NEWLINE, this.at);
    if (stop < 0 || stop >= this.end) throw this.damaged();
    const sign = this.data[this.at]!;
    if ((sign === PLUS || sign === STAR) && this.addedLeft > 0) this.addedLeft--;
    else if (sign === MINUS && this.removedLeft > 0) this.removedLeft--;
    else throw this.damaged();
    this.sign = sign;
    this.start = this.at + 1;
    this.stop = stop;
    this.at = stop + 1;
  }

  /**
   * A paged record's next window, after the part of a line the last one ended in (moved to the
   * buffer's start; the buffer doubled when that part fills it): false when there is no more.
   */
  private page(): boolean {
    const paged = this.paged;
    if (!paged || this.read === paged.length) return false;
    const kept = this.end - this.at;
    if (kept === this.data.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.data.length * 2, paged.length));
      this.data.copy(grown, 0, this.at, this.end);
      this.data = grown;
    } else this.data.copy(this.data, 0, this.at, this.end);
    const length = Math.min(this.data.length - kept, paged.length - this.read);
    paged.read(this.data, kept, length, this.read);
    this.read += length;
    this.at = 0;
    this.end = kept + length;
    return true;
  }

  /** The record ends where its last file's lines do. */
  finish(): void {
    if (this.at !== this.end || (this.paged !== null && this.read !== this.paged.length)) throw this.damaged();
  }
}

/**
 * The added lines the store's `counted` holds (signed '*') of the files of a kept patch that `pick`
 * picks (by index into its summary), each where it stands in the record's bytes, lent for the call:
 * a reader that wants a few of them as text (attribution: the lines a session wrote) decodes those,
 * not the record. The other files' lines are passed over unread. False, calling nothing, when the
 * patch's record is not at hand — one from git, a store made without `counted`, or lines split
 * already: read its `files` then. With `key`, each line comes with its key (NaN without): the
 * record's lines keyed all at once (`key.signedLines`, WebAssembly) once a line is picked — every
 * line, so it gains where most of a record is picked (every file of 20,000 of the 80k bench
 * history's patches: 0.79–0.85 s → 0.58–0.71 s) and costs what keying the picked lines one by one
 * did where few are (attribution's whole first run there: ~0.8 s either way, session 78).
 */
export function forEachCountedLine(
  patch: CommitPatch,
  pick: (file: number) => boolean,
  line: (file: number, data: Buffer, start: number, end: number, key: number) => void,
  key?: LineKey,
): boolean {
  const header = headers.get(patch);
  const record = header ? records.get(patch)?.() : null;
  if (!header || !record || record.marks === null) return false;
  const { lines } = record;
  const read = new RecordLines(lines, record.damaged);
  // The keys of every line in the record's order, once a picked line needs one (null: keyed one at a time).
  let signed: SignedKeys | null | undefined = key ? undefined : null;
  let at = 0;
  for (let i = 0; i < header.length; i++) {
    const [, , addedCount, removedCount] = header[i]!;
    const picked = addedCount > 0 && pick(i);
    read.file(addedCount, removedCount);
    for (let n = addedCount + removedCount; n > 0; n--, at++) {
      read.next();
      if (!picked || read.sign !== STAR) continue;
      if (signed === undefined) signed = key && 'data' in lines ? (key.signedLines?.(lines.data, lines.start, lines.end) ?? null) : null;
      const keyOf =
        signed !== null && at < signed.keys.length ? signed.keys[at]! : key ? key.bytes(read.data, read.start, read.stop) : Number.NaN;
      line(i, read.data, read.start, read.stop, keyOf);
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

/**
 * A patch from its record's header, `files` decoded from its lines (`lines`) when first read.
 * `marks`: the test whose answers the record's signs hold ('*'), when its header counted them.
 * `release`: what letGo does for it. `damaged`: the error of lines that are not what the header
 * counts (the store's by default; git's reader says it was git's output).
 */
export function recordPatch(
  sha: string,
  header: RecordHeader,
  lines: () => RecordBytes,
  marks: LineOf<boolean> | null,
  release?: () => void,
  damaged: () => Error = damagedRecord(sha),
): CommitPatch {
  let files: FilePatch[] | undefined;
  const patch = {} as CommitPatch;
  Object.defineProperties(patch, {
    sha: { value: sha, enumerable: true, writable: true },
    files: {
      enumerable: true,
      get: () => {
        if (!files) {
          const { data, start, end } = wholeBytes(lines());
          files = decodeFiles(data.toString('utf8', start, end), 0, header, damaged);
        }
        return files;
      },
    },
  });
  if (header.every((f) => f[4] >= 0)) headers.set(patch, header);
  // Once split, the lines are what a reader asks for (keyedFiles keys them).
  records.set(patch, () => (files ? null : { lines: lines(), header, marks, damaged }));
  if (release) releases.set(patch, release);
  return patch;
}

/** What lets go of each lent patch's bytes (readCommitPatches' `lend`). */
const releases = new WeakMap<CommitPatch, () => void>();

/**
 * The reader is done with a patch's lines: a lent one's bytes may go now, before the next patch is
 * asked for (reading its lines later throws); any other keeps them. A reader that keys a patch and
 * then works for long on its keys lets go first: the content rule compared the candidates of git's
 * own history's whole-tree branch commit for 13 s while its 64 MB of bytes stayed.
 */
export function letGo(patch: CommitPatch): void {
  releases.get(patch)?.();
}

/** A patch's record while its lines are not split into strings (undefined: a patch of strings, or split already). */
export function recordOf(patch: CommitPatch): UnsplitRecord | undefined {
  return records.get(patch)?.() ?? undefined;
}

/** The error of a stored record that is not what its header says. */
export function damagedRecord(sha: string): () => Error {
  return () => new Error(`paceflow's diff store holds a damaged record for ${sha}`);
}

/** The error of a diff read from git that is not what its own header counts. */
export function damagedGitRecord(sha: string): () => Error {
  return () => new Error(`git's diff of ${sha} does not hold the lines its header counts`);
}

const NEWLINE = 0x0a;

/** A paged record's window (a line longer than it grows it). */
const PAGE_BYTES = 1 << 20;

/** The removed lines of a file keyed without them (addedKeyedFiles). */
const NO_KEYS = new Float64Array(0);
