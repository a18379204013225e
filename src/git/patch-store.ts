import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CountedLines, encodeRecord, headerText, type PatchRecord, type RecordHeader } from './patch-record.js';
import { KeptIndex, type KeptPlace } from './kept-index.js';
import { type CommitPatch, type ReadPatchesOptions, readCommitPatches } from './patches.js';
import { damagedRecord, type LentBytes, type RecordBytes, recordOf, recordPatch, wholeBytes } from './record-patches.js';

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
  private readonly index = new KeptIndex();
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

  /**
   * `dir`: where the file is made (null: the system's temporary folder). `counted`: the added lines
   * each file's summary counts (summaryOf): a builder that needs a commit's count and paths but
   * not its lines then reads no line.
   */
  constructor(
    private readonly dir: string | null,
    private readonly counted?: CountedLines,
  ) {}

  /**
   * What the records made for this store must count and mark: the history's pass's (readCommits'
   * `counted`, its `bytes`) and those of patches read from git (readCommitPatches' `counted`: such
   * a patch is kept as its record's bytes stand, keep).
   */
  get countedLines(): CountedLines | undefined {
    return this.counted;
  }

  /**
   * Keeps a patch read from git (the first one kept for a commit stays): its record's bytes when
   * it has one counted as this store counts (readCommitPatches given `countedLines`), else its
   * lines encoded.
   */
  keep(patch: CommitPatch): void {
    if (this.broken || this.index.has(patch.sha)) return;
    const record = recordOf(patch);
    if (record && record.marks === (this.counted?.range ?? null)) {
      const { data, start, end } = wholeBytes(record.lines);
      this.append(patch.sha, headerText(record.header), data.subarray(start, end));
      return;
    }
    this.append(patch.sha, encodeRecord(patch.files, this.counted?.text), null);
  }

  /**
   * Keeps a patch the history's pass recorded (PatchRecordParser), its lines' bytes as git wrote
   * them; its header counts what `countedLines` counts.
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
      // Larger than the buffer (a vendored library's import): written as it is, its header and
      // then its bytes. Joined first, a whole-tree commit's record was copied whole for the write:
      // on git's own history, a run finishing a killed first run went up by 38–46 MB for ~0.1 s at
      // each of its whole-tree branch commits (1.6M lines), to node's peak of 312–335 MiB
      // (bench/README, session 83).
      if (!this.writeOut(Buffer.from(text, 'utf8'))) return;
      if (bytes && !this.writeOut(bytes)) return;
    } else {
      this.writeBuffer ??= Buffer.allocUnsafe(BUFFER_BYTES);
      this.writeBuffer.write(text, this.buffered, 'utf8');
      if (bytes) bytes.copy(this.writeBuffer, this.buffered + textLength);
      this.buffered += length;
    }
    this.index.add(sha, offset, length);
  }

  /**
   * The patch-ids of the patches kept so far that have none yet (`found`, from one patch-id fed
   * their text: a patch not in it is an empty diff).
   */
  settlePatchIds(found: ReadonlyMap<string, string>): void {
    if (this.broken) return;
    this.index.settle(found);
  }

  /** A kept patch's patch-id (null: an empty diff; undefined: not known). */
  patchId(sha: string): string | null | undefined {
    return this.broken ? undefined : this.index.patchId(sha);
  }

  has(sha: string): boolean {
    return !this.broken && this.index.has(sha);
  }

  /**
   * The store's own string of a sha it keeps, else `sha`: a builder that holds every commit (the
   * outcome build's columns) holds the same strings, not a copy of each (a first run keeps every
   * commit's diff: 200k shas, 11 MB, on git's own history with its pull requests).
   */
  shaString(sha: string): string {
    return (this.broken ? undefined : this.index.stringOf(sha)) ?? sha;
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
    const bytes =
      at.length > BUFFER_BYTES && at.offset < this.written ? this.largeHeader(sha, at) : this.recordBytes(sha, at.offset, at.length);
    if (!bytes) return undefined;
    const { data, start, end } = bytes;
    const headerEnd = data.indexOf(NEWLINE, start);
    if (headerEnd < 0 || headerEnd >= end) throw damagedRecord(sha)();
    const header = JSON.parse(data.toString('utf8', start, headerEnd)) as RecordHeader;
    const linesFrom = headerEnd + 1 - start;
    diffsKept.count++;
    const lines = at.length > BUFFER_BYTES ? () => this.pagedLines(sha, at, linesFrom) : () => this.linesBytes(sha, at, linesFrom);
    return recordPatch(sha, header, lines, this.counted?.range ?? null);
  }

  /**
   * The start of a record larger than the read window, read until its header's end: the lines
   * wait until asked for (linesBytes). Attribution asks only the header of a commit no session
   * wrote a path of; read whole, git's own history's whole-tree branch commit (a 90 MB record) was
   * the top of its first run's memory (391 MiB, of which 93 MB array buffers).
   */
  private largeHeader(sha: string, at: KeptPlace): LentBytes | undefined {
    if (this.fd === null) return undefined;
    const chunks: Buffer[] = [];
    let read = 0;
    for (let size = HEADER_CHUNK; read < at.length; size *= 2) {
      const chunk = Buffer.allocUnsafe(Math.min(size, at.length - read));
      this.readFile(sha, chunk, 0, chunk.length, at.offset + read);
      chunks.push(chunk);
      read += chunk.length;
      if (chunk.includes(NEWLINE)) break;
    }
    const data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    return { data, start: 0, end: data.length };
  }

  /**
   * A kept record's lines (from `from`, a byte offset into the record), lent until the store's
   * next read: from the read window when it still holds them (a builder asks right after get), else
   * read again — a record larger than the window, its lines alone. A store that broke after giving
   * the patch still reads what it holds (writeOut); one closed has nothing to read.
   */
  private linesBytes(sha: string, at: KeptPlace, from: number): LentBytes {
    const bytes = this.recordBytes(sha, at.offset + from, at.length - from);
    if (!bytes) throw new Error(`paceflow's diff store was closed before the lines of ${sha} were read`);
    return bytes;
  }

  /**
   * A record larger than the read window, its lines read a window at a time as a reader goes
   * (PagedBytes): never whole unless a reader asks for them as text (`files`). One still in the
   * write buffer (it never is: such a record is written out as it comes) is lent from there.
   */
  private pagedLines(sha: string, at: KeptPlace, from: number): RecordBytes {
    if (at.offset >= this.written || this.fd === null) return this.linesBytes(sha, at, from);
    const start = at.offset + from;
    return {
      length: at.length - from,
      read: (into, intoAt, length, position) => {
        if (this.fd === null) throw new Error(`paceflow's diff store was closed before the lines of ${sha} were read`);
        this.readFile(sha, into, intoAt, length, start + position);
      },
    };
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
    if (offset >= this.windowStart && end <= this.windowEnd) {
      const from = offset - this.windowStart;
      return { data: this.readBuffer, start: from, end: from + length };
    }
    if (length > BUFFER_BYTES) {
      // Larger than the window (a vendored library's import; get and pagedLines read such a
      // record in pieces): read alone, into a buffer of its own the reader lets go.
      const data = Buffer.allocUnsafe(length);
      this.readFile(sha, data, 0, length, offset);
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

/** The write buffer's size, and the reused read buffer's: patches up to it are read into that. */
const BUFFER_BYTES = 1 << 20;

/** The first read of a large record's header (each next one twice the last): most fit in it. */
const HEADER_CHUNK = 64 << 10;

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
 * store whose id it knows, once every diff was read. `lend`: those from git are lent (valid until
 * the next is asked for); the store's stay readable while it is open.
 */
export async function* readPatches(
  store: PatchStore | undefined,
  shas: readonly string[],
  options: ReadPatchesOptions,
): AsyncGenerator<CommitPatch> {
  const { onPatchIds, ...gitOptions } = options;
  const missing = store ? shas.filter((sha) => !store.has(sha)) : shas;
  // Patches from git are recorded as the store records its own: it keeps them as they stand.
  const counted = store?.countedLines;
  if (missing.length === shas.length) {
    yield* readCommitPatches(shas, counted ? { ...options, counted } : options);
    return;
  }
  const ids = new Map<string, string | null>();
  const fromGit =
    missing.length > 0
      ? readCommitPatches(missing, {
          ...gitOptions,
          ...(counted ? { counted } : {}),
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
      else if (r.value.sha === sha) return r.value;
      else {
        // Held past the next read from git: a lent patch's lines are split into its own strings first.
        if (options.lend && !options.keyed) void r.value.files;
        early.set(r.value.sha, r.value);
      }
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
