import { balancedLine, type PatchIdHasher, PatchIdStream } from './patch-id.js';
import { hashedLineEnd, lineHashOfBytes } from './line-balance.js';
import { type CountedLines, type LineKey, MINUS, PLUS, type PatchRecord, type RecordHeader, STAR } from './patch-record.js';
import { GrowingBytes } from './growing-bytes.js';
import { type AddedKeys, addedKeysPatch, damagedGitRecord, type LentBytes, recordPatch } from './record-patches.js';
import { BOUNDED_PACK_WINDOWS, streamGit, type GitOptions } from './run.js';

/**
 * The diff every patch-id of paceflow's is `git patch-id --stable` of: no context, renames found,
 * no a/ b/ prefixes (-R would swap them, and patch-id hashes the header), paths unquoted. Pinned
 * rather than left to the user's configuration, so that the ids attribution takes from its own
 * stream, the ones computed for other commits, the reversed ones and the net diffs' all hash the
 * same text (sql/015).
 *
 * Why no context (sql/027): nothing paceflow reads from a diff is a context line (attribution,
 * churn and the revert rules take the added and removed lines; patch-id drops line numbers
 * anyway), and without context git trims the files' common tail before diffing (xdiff-interface.c,
 * trim_common_tail) instead of hashing every line of both sides: on git's own history the
 * history's pass went from 52.5 to 44.5 s of git's CPU and its text from 470 to 376 MB (one line
 * of context saves 1 s). A patch-id is then the identity of a change's lines by file, wherever in
 * the file they are: a cherry-pick onto different surroundings keeps its id.
 */
export const PATCH_ID_CONFIG = ['-c', 'core.quotePath=false'] as const;
export const PATCH_ID_DIFF: readonly string[] = ['-p', '--unified=0', '-M', '--no-prefix', '--no-color', '--no-ext-diff', '--no-textconv'];

/** The options of readCommitPatches. */
export interface ReadPatchesOptions extends Omit<GitOptions, 'input'> {
  /**
   * Also the patch-id of each commit read (null: an empty diff), from the same stream: git
   * patch-id --stable's, computed from the text as it is parsed (patch-id.ts), instead of git
   * reading every diff again. Called once the whole stream was read; never after a failure.
   */
  onPatchIds?: (ids: Map<string, string | null>) => void;
  /**
   * Each patch read from git is only its added lines' keys (`key`) and their flags (`counted`):
   * its lines are never kept, its removed lines not keyed, and only addedKeyedFiles reads it
   * (record-patches.ts). For a reader that compares added lines by key and nothing else (the
   * content rule): git's own history's whole-tree branch commit was a 49.5 MB record held while it
   * was parsed — node's peak on that history (bench/README, sessions 62–66) — where its keys are 14 MB.
   */
  keyed?: { key: LineKey; counted: CountedLines };
  /**
   * Each patch read from git is lent: its lines are the parser's own buffer, valid until the next
   * patch is asked for (reading them later throws). A reader that keys each patch and lets it go
   * (churn, the content rule) then holds no copy of any: a whole-tree commit's patch is in memory
   * once, not twice (on git's own history with its pull requests, one branch's such commit was
   * node's peak: ~80 MB of bytes held twice for a second).
   */
  lend?: boolean;
  /** The most commits one git process is asked for (COMMITS_PER_PROCESS unless told: the tests' small histories). */
  commitsPerProcess?: number;
}

/**
 * The most commits one `git log --no-walk --stdin` of readCommitPatches is given. Git parses every
 * commit it is given before it shows the first, and keeps each one's text until it is shown: a
 * run that reads thousands of diffs from git (a first run finishing one killed before its builders,
 * whose diff store went with it; a replay from an old transcript's time) held them all. The 80k
 * bench history's 57,367 commits in one process: 311,772 KB (~207 MB of pack windows resident
 * beside ~96 MB of its own), the run's peak over the 300 MB budget while node's was 217 MiB; in
 * processes of 5,000 commits 192,992 KB, its CPU within the machine's noise (21.3 + 1.2 s against
 * 16.6–21.1 + 0.3–0.5 s). Git's own history's 60,000 oldest commits, whose messages are longer:
 * 197,052 → 135,040 KB (bench/README, session 83). Twelve processes for 57k commits, thirty for
 * git's own 147k: each starts in ~20 ms against seconds of diffs.
 */
export const COMMITS_PER_PROCESS = 5_000;

export interface FilePatch {
  path: string;
  oldPath: string | null;
  /** Added lines, without the leading '+'. */
  added: string[];
  /** Removed lines, without the leading '-'. */
  removed: string[];
}

export interface CommitPatch {
  sha: string;
  files: FilePatch[];
}

/** Unquotes a path as git prints it in diff headers ("a\tb" → a<TAB>b); plain paths pass through. */
export function unquoteGitPath(raw: string): string {
  if (!raw.startsWith('"') || !raw.endsWith('"')) return raw;
  const bytes: number[] = [];
  const body = raw.slice(1, -1);
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const next = body[++i]!;
    const simple: Record<string, number> = { n: 10, t: 9, '"': 34, '\\': 92, a: 7, b: 8, f: 12, r: 13, v: 11 };
    if (next in simple) bytes.push(simple[next]!);
    else if (/[0-7]/.test(next)) {
      bytes.push(parseInt(body.slice(i, i + 3), 8));
      i += 2;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * The path of a `--- a/x` / `+++ b/x` header. git ends the header of a path that holds a space with
 * a TAB (so it can be split), quoted or not; a TAB inside a path is always written quoted (`\t`), so
 * a raw TAB at the end is never part of the path.
 */
export function headerPath(raw: string): string {
  return raw.endsWith('\t') ? raw.slice(0, -1) : raw;
}

/**
 * A line of a file section's header (before its first hunk): the paths it names go into `file`,
 * each its own copy (headerPathOf). 'hunk': the section's lines start; 'binary': git called the file binary.
 */
function fileHeaderLine(file: { path: string; oldPath: string | null }, text: string): 'hunk' | 'binary' | null {
  if (text.startsWith('rename from ')) file.oldPath = headerPathOf(text.slice(12));
  else if (text.startsWith('rename to ')) file.path = headerPathOf(text.slice(10));
  else if (text.startsWith('+++ ')) {
    const target = headerPath(text.slice(4));
    if (target !== '/dev/null') file.path = headerPathOf(target);
    else if (file.oldPath) file.path = file.oldPath;
  } else if (text.startsWith('--- ') && !file.path) {
    const source = headerPath(text.slice(4));
    if (source !== '/dev/null' && !file.oldPath) file.oldPath = headerPathOf(source);
  } else if (text.startsWith('@@')) return 'hunk';
  else if (text.startsWith('Binary files ')) return 'binary';
  return null;
}

/**
 * A header's path, unquoted, as a string of its own (` ${…}`.slice(1): V8 flattens the
 * concatenation before slicing it): a slice of the diff text would keep the whole chunk it came
 * from for as long as a builder keeps the path — the content rule keys its lists of mainline
 * commits by path for the whole rule, and on git's own history with its pull requests 569 chunks of
 * 131 KB (59 MB) were held so, one per path.
 */
function headerPathOf(raw: string): string {
  return ` ${unquoteGitPath(raw)}`.slice(1);
}

const NEWLINE = 0x0a;
const D = 0x64;
/** The first bytes of the header lines fileHeaderLine reads, and of `diff --git`: d, r, +, -, @, B. */
const HEADER_FIRST = new Uint8Array(256);
for (const c of 'dr+-@B') HEADER_FIRST[c.charCodeAt(0)] = 1;

/**
 * The file sections of one commit's patch as its header lines name them (PatchRecordParser): each
 * `diff --git` starts a file (`make`), the lines before its first hunk name its paths or call it
 * binary, and a hunk's @@ starts its lines.
 */
class FileSections<F extends { path: string; oldPath: string | null }> {
  readonly files: F[] = [];
  /** One per file, in `files` order: "Binary files … differ" in place of hunks. */
  readonly binary: boolean[] = [];
  file: F | null = null;
  /** Inside the current file's hunks: its added and removed lines come. */
  inHunk = false;

  constructor(private readonly make: () => F) {}

  /** A line that is not one of a hunk's added or removed lines. */
  header(text: string): void {
    if (text.startsWith('diff --git ')) {
      this.file = this.make();
      this.files.push(this.file);
      this.binary.push(false);
      this.inHunk = false;
      return;
    }
    const file = this.file;
    if (!file || this.inHunk) return;
    const said = fileHeaderLine(file, text);
    if (said === 'hunk') this.inHunk = true;
    else if (said === 'binary') this.binary[this.binary.length - 1] = true;
  }
}

/** A commit's patch as the history's pass reads it: the diff store's record, and what it says beyond. */
export interface RecordedPatch {
  record: PatchRecord;
  /** A parser that keys (`keyedBy`): each file's added lines' keys and flags, in the header's order; the record has no lines. */
  added?: AddedKeys[];
  /** One per file section, in the header's order: "Binary files … differ" in place of hunks. */
  binary: boolean[];
  /** lineBalanceHash of the patch's files (line-balance.ts). */
  lineBalance: number;
}

/** A file section of a patch being recorded: the header's entry, filled as its lines go by. */
interface RecordedFile {
  path: string;
  oldPath: string | null;
  added: number;
  removed: number;
  counted: number;
}

/**
 * One commit's patch-id diff (PATCH_ID_DIFF) into the diff store's record (patch-record.ts), read
 * from git's output as bytes: each hunk's run of added and removed lines is copied into the record
 * as it stands, and each line is hashed into the commit's line balance and, if added, asked of
 * `counted` where it lies, in the loop that finds its end. The history's pass read the same text
 * as a string per line (a parser since gone) only to join them into the record and encode it back to
 * bytes: in a profiled first run on git's own history, reading the pass and making its records
 * took 4.40 s of node's main thread that way, 3.76 s this way (bench/README, session 46). A
 * header line (paths, a hunk's @@) is decoded and read as a string (FileSections); context lines
 * and "\ No newline" markers are left out.
 */
export class PatchRecordParser {
  private sha: string | null = null;
  private sections = new FileSections<RecordedFile>(newRecordedFile);
  /** The commit's line balance so far, int32: removed lines add, added ones subtract. */
  private balance = 0;
  /**
   * The record's lines so far: one buffer for every commit, each record's body a view of it, lent
   * (PatchSink, log.ts); grown in place for a large commit, and let go after it (growing-bytes.ts).
   */
  private readonly body = new GrowingBytes(BODY_BYTES, BODY_BYTES_KEPT);
  private length = 0;
  /** Where in `body` the run being read puts the signs of its added lines `counted` holds. */
  private readonly marks: number[] = [];

  /** The added lines' keys and flags, when the parser keys (`keyedBy`) instead of keeping lines. */
  private readonly keys: KeyColumn | null;

  /**
   * `counted`: the added lines each file's header entry counts and the record's signs mark (none:
   * -1, no mark). `keyedBy`: no lines are kept; each added line is keyed as it is read, and
   * flagged by `counted` (ReadPatchesOptions.keyed). `hasher`: handed every line read, for the
   * commit's patch-id (the history's pass, CommitStreamParser); a hunk's added and removed lines
   * are hashed for it and for the line balance in one loop over their bytes (balancedHunkLine).
   */
  constructor(
    private readonly counted?: CountedLines['bytes'],
    private readonly keyedBy?: LineKey,
    private readonly hasher: PatchIdHasher | null = null,
  ) {
    this.keys = keyedBy ? new KeyColumn() : null;
  }

  /** Starts a commit's patch (finish the one before first). */
  start(sha: string): void {
    // A flat copy: a slice would hold the whole chunk of text it came from for as long as the sha
    // is kept (the run's diff store keys every commit it keeps by it: +70 MB on a 20k first run).
    this.sha = Buffer.from(sha, 'latin1').toString('latin1');
    this.sections = new FileSections<RecordedFile>(newRecordedFile);
    this.balance = 0;
    this.length = 0;
    this.marks.length = 0;
    this.keys?.restart();
    this.dropLargeBuffer();
  }

  /**
   * A buffer a whole-tree commit grew is not held for the rest of the stream (the next start lets
   * it go, or a reader done with a lent record earlier: readCommitPatches).
   */
  dropLargeBuffer(): void {
    if (this.body.largerThan(BODY_BYTES_KEPT)) this.body.reset();
  }

  /** The patch's lines in data[start, end): whole lines, each ended by a newline but perhaps the stream's last. */
  lines(data: Buffer, start: number, end: number): void {
    if (this.sha === null) return;
    // Where the run of signed lines being read started (-1: none): copied whole where it ends.
    let run = -1;
    let at = start;
    const sections = this.sections;
    const keys = this.keys;
    const hasher = this.hasher;
    while (at < end) {
      const first = data[at];
      if (sections.inHunk && (first === PLUS || first === MINUS)) {
        const file = sections.file!;
        let stop = hasher === null ? -1 : hasher.balancedHunkLine(data, at, end);
        let hash: number;
        if (stop >= 0) hash = balancedLine.hash;
        else {
          hash = lineHashOfBytes(data, at + 1, end);
          stop = hashedLineEnd.at;
          hasher?.line(data, at, stop);
        }
        if (run < 0 && !keys) run = at;
        if (first === PLUS) {
          file.added++;
          this.balance = (this.balance - hash) | 0;
          const marked = this.counted?.(data, at + 1, stop) === true;
          if (marked) file.counted++;
          if (keys) keys.push(this.keyedBy!.bytes(data, at + 1, stop), marked);
          // Its sign becomes '*' once the run is copied (the run's bytes land at this.length).
          else if (marked) this.marks.push(this.length + (at - run));
        } else {
          file.removed++;
          this.balance = (this.balance + hash) | 0;
        }
        if (stop === end && !keys) {
          // The stream's last line, with no newline after it: the record's lines all end with one.
          this.copy(data, run, stop);
          this.copyNewline();
          run = -1;
        }
        at = stop + 1;
        continue;
      }
      if (run >= 0) {
        this.copy(data, run, at);
        run = -1;
      }
      let stop = data.indexOf(NEWLINE, at);
      if (stop < 0 || stop > end) stop = end;
      hasher?.line(data, at, stop);
      // Only a line the header's reading may act on is decoded: in a hunk, a new file's `diff`
      // (another hunk's @@, context and "\ No newline" are no line of the record); before it, also
      // the paths' lines, the first @@ and "Binary files" — not `index`, modes or similarity.
      if (sections.inHunk ? first === D : first !== undefined && HEADER_FIRST[first] === 1)
        sections.header(data.toString('utf8', at, stop));
      at = stop + 1;
    }
    if (run >= 0) this.copy(data, run, end);
  }

  private copy(data: Buffer, from: number, to: number): void {
    this.body.grow(this.length + to - from, this.length);
    const body = this.body.bytes;
    data.copy(body, this.length, from, to);
    this.length += to - from;
    for (const at of this.marks) body[at] = STAR;
    this.marks.length = 0;
  }

  private copyNewline(): void {
    this.body.grow(this.length + 1, this.length);
    this.body.bytes[this.length++] = NEWLINE;
  }

  /**
   * The commit's record, once its last line was given (null: none started). Its body is a view of
   * this parser's buffer, valid until the next start().
   */
  finish(): RecordedPatch | null {
    const sha = this.sha;
    if (sha === null) return null;
    this.sha = null;
    const counted = this.counted !== undefined;
    const { files, binary } = this.sections;
    const header: RecordHeader = files.map((f) => [f.path, f.oldPath, f.added, f.removed, counted ? f.counted : -1]);
    // Lent, not copied (PatchSink in log.ts): the buffer goes on to the next commit.
    const record = { sha, header, body: this.body.bytes.subarray(0, this.length) };
    const lineBalance = this.balance >>> 0;
    return this.keys ? { record, added: this.keys.take(files), binary, lineBalance } : { record, binary, lineBalance };
  }

  /**
   * The last record's body to keep: a copy, or — from a buffer grown past BODY_BYTES_KEPT, which
   * the parser lets go at the next start — that buffer itself, handed over (never held twice).
   */
  keepBody(body: Buffer): Buffer {
    if (!this.body.largerThan(BODY_BYTES_KEPT)) return Buffer.from(body);
    this.body.reset();
    return body;
  }
}

/**
 * The keys (8 bytes each) and flags (1 byte) of a commit's added lines, in the order read: one
 * buffer of each for every commit, grown in place for a large one (growing-bytes.ts).
 */
class KeyColumn {
  private readonly keyBytes = new GrowingBytes(KEY_COLUMN_LINES * 8, BODY_BYTES_KEPT);
  private readonly flagBytes = new GrowingBytes(KEY_COLUMN_LINES, BODY_BYTES_KEPT);
  private keys = this.view();
  private count = 0;

  push(key: number, flag: boolean): void {
    if (this.count === this.keys.length) {
      this.keyBytes.grow((this.count + 1) * 8, this.count * 8);
      this.flagBytes.grow(this.count + 1, this.count);
      this.keys = this.view();
    }
    this.keys[this.count] = key;
    this.flagBytes.bytes[this.count++] = flag ? 1 : 0;
  }

  /**
   * Each file's keys and flags (`added` of them each, in order), its own: copied out of buffers
   * of the usual size; views of ones grown past it, which are handed over (the column starts
   * new ones), so a whole-tree commit's keys are never held twice.
   */
  take(files: readonly { added: number }[]): AddedKeys[] {
    const large = this.keyBytes.largerThan(BODY_BYTES_KEPT) || this.flagBytes.largerThan(BODY_BYTES_KEPT);
    const keys = this.keys;
    const flags = this.flagBytes.bytes;
    let at = 0;
    const taken = files.map((f) => {
      const from = at;
      at += f.added;
      return large
        ? { keys: keys.subarray(from, at), flags: new Uint8Array(flags.buffer, flags.byteOffset + from, f.added) }
        : { keys: keys.slice(from, at), flags: new Uint8Array(flags.subarray(from, at)) };
    });
    if (large) {
      this.keyBytes.reset();
      this.flagBytes.reset();
      this.keys = this.view();
    }
    this.count = 0;
    return taken;
  }

  restart(): void {
    this.count = 0;
  }

  /** The keys over the key bytes: a buffer of 64 KB and more is never a slice of node's pool, so it starts aligned. */
  private view(): Float64Array {
    const { buffer, byteOffset, length } = this.keyBytes.bytes;
    return new Float64Array(buffer, byteOffset, length >> 3);
  }
}

/** The lines a key column holds before it grows (8 + 1 bytes each). */
const KEY_COLUMN_LINES = 8 << 10;

/** The record parser's buffer, and the largest it keeps from one commit to the next (it grows for a larger one). */
const BODY_BYTES = 64 << 10;
const BODY_BYTES_KEPT = 4 << 20;

function newRecordedFile(): RecordedFile {
  return { path: '', oldPath: null, added: 0, removed: 0, counted: 0 };
}

/**
 * The added and removed lines of each given commit's diff against its first parent, streamed from
 * one `git log -p --no-walk` of the patch-id diff. Always that diff, with ids or without: git
 * aligns a diff with context a little differently from one without (on git's own history 2 of
 * 8,000 commits differed by a line removed and added back), and every builder must see the diff
 * attribution read, whether it comes from git or from the run's store
 * (patch-store.ts). Binary files contribute nothing. Each commit's text starts at a line
 * `commit <sha>` (no diff line starts so: they start with a space, +, -, @, \ or a header word),
 * which git patch-id splits on too.
 *
 * Each patch is read as the history's pass reads its own (PatchRecordParser), into the diff store's
 * record as bytes, one buffer per commit: its lines become strings only when a reader asks for
 * `files` (record-patches.ts), lent (`lend`) or a copy. `counted`: what its header counts and its
 * signs mark (a store's countedLines: the store then keeps the record as it stands); with
 * `keyed`, its `counted` instead (the flags are its answers).
 */
export async function* readCommitPatches(
  shas: readonly string[],
  options: ReadPatchesOptions & { counted?: CountedLines },
): AsyncGenerator<CommitPatch> {
  if (shas.length === 0) return;
  const { onPatchIds, lend, keyed, counted: given, commitsPerProcess, ...gitOptions } = options;
  // At least one commit a process: a count of none would start processes without end.
  const perProcess = Math.max(1, Math.floor(commitsPerProcess ?? COMMITS_PER_PROCESS));
  const counted = keyed?.counted ?? given;
  const args = [
    ...BOUNDED_PACK_WINDOWS,
    ...PATCH_ID_CONFIG,
    '-c',
    'log.showSignature=false',
    'log',
    '--no-walk=unsorted',
    '--stdin',
    ...PATCH_ID_DIFF,
    '--format=commit %H',
    '--diff-merges=first-parent',
  ];
  const env = { ...(gitOptions.env ?? process.env), GIT_FLUSH: '0' };
  const ids = onPatchIds ? new PatchIdStream() : null;
  const parser = new PatchRecordParser(counted?.bytes, keyed?.key);
  const marks = counted?.range ?? null;
  /** Which patch the parser's buffer holds (a lent patch's lines are read only while it is its). */
  let lent = 0;
  const finished = (): CommitPatch | null => {
    const recorded = parser.finish();
    if (!recorded) return null;
    diffsRead.count++;
    const { sha, header, body } = recorded.record;
    if (keyed) return addedKeysPatch(sha, header, recorded.added!, keyed.key, marks);
    if (!lend) {
      // The parser's buffer goes on to the next commit: the patch gets a copy of its own — but
      // for a buffer the parser lets go (a whole-tree commit's: never held twice).
      const lines = { data: parser.keepBody(body), start: 0, end: body.length };
      return recordPatch(sha, header, () => lines, marks, undefined, damagedGitRecord(sha));
    }
    const mine = ++lent;
    let lines: LentBytes | null = { data: body, start: 0, end: body.length };
    return recordPatch(
      sha,
      header,
      () => {
        if (mine !== lent || !lines) throw new Error(`paceflow read the lent patch of ${sha} after the next one was asked for`);
        return lines;
      },
      marks,
      () => {
        // Let go (letGo): neither the patch nor the parser holds a large buffer while the reader works on.
        if (mine !== lent) return;
        lines = null;
        lent++;
        parser.dropLargeBuffer();
      },
      damagedGitRecord(sha),
    );
  };
  /**
   * The whole lines data[start, end): each `commit <sha>` line finishes the patch before (given
   * then, before the parser goes on) and starts one; the rest are its lines.
   */
  function* read(data: Buffer, start: number, end: number): Generator<CommitPatch> {
    let at = start;
    while (at < end) {
      if (data.toString('latin1', at, Math.min(end, at + 7)) === 'commit ') {
        let nl = data.indexOf(NEWLINE, at);
        if (nl < 0 || nl > end) nl = end;
        const patch = finished();
        if (patch) yield patch;
        lent++;
        parser.start(data.toString('latin1', at + 7, nl).trim());
        at = nl + 1;
        continue;
      }
      // Up to the next commit's line (a line start: just after a newline), read as the patch's lines.
      const next = data.indexOf(NEXT_COMMIT, at);
      const stop = next < 0 || next >= end ? end : next + 1;
      parser.lines(data, at, stop);
      at = stop;
    }
  }

  for await (const [data, end] of linesOfProcesses(shas, perProcess, args, { ...gitOptions, env }, ids)) yield* read(data, 0, end);
  const last = finished();
  if (last) yield last;
  if (ids && onPatchIds) {
    // git read every commit asked (a missing one fails the stream): each has its id, or none for
    // an empty diff. (The asked ids, not the ones parsed.)
    const byCommit = ids.end();
    onPatchIds(new Map(shas.map((sha) => [sha, byCommit.get(sha) ?? null])));
  }
}

/**
 * The text of `git <args>` given `shas` on its standard input, COMMITS_PER_PROCESS (`perProcess`) of
 * them per process, one process after the other, as [data, end]: data[0, end) whole lines (but for a
 * text's last line without a newline); `ids` is fed every byte. The same text as one process gives,
 * each commit's starting at its `commit` line.
 */
async function* linesOfProcesses(
  shas: readonly string[],
  perProcess: number,
  args: readonly string[],
  options: GitOptions,
  ids: PatchIdStream | null,
): AsyncGenerator<[Buffer, number]> {
  // The unfinished line's pieces: joined once its newline comes, so that a line longer than many
  // chunks (a minified file's) is copied once, not once per chunk.
  let carry: Buffer[] = [];
  for (let from = 0; from < shas.length; from += perProcess) {
    const input = `${shas.slice(from, from + perProcess).join('\n')}\n`;
    let endsLine = true;
    for await (const chunk of streamGit(args, { ...options, input })) {
      if (chunk.length === 0) continue;
      ids?.write(chunk);
      endsLine = chunk[chunk.length - 1] === NEWLINE;
      const last = chunk.lastIndexOf(NEWLINE);
      if (last < 0) {
        carry.push(chunk);
        continue;
      }
      const data = carry.length > 0 ? Buffer.concat([...carry, chunk]) : chunk;
      const end = data.length - (chunk.length - last - 1);
      yield [data, end];
      // A copy of the unfinished line, so that the chunk it came from can be freed.
      carry = end < data.length ? [Buffer.from(data.subarray(end))] : [];
    }
    if (carry.length > 0) {
      const data = Buffer.concat(carry);
      carry = [];
      yield [data, data.length];
    }
    // A process's text ends its last line (git ends every diff line): were it cut short, the next
    // process's first `commit` line still starts a line of its own for the patch-ids.
    if (!endsLine) ids?.write(Buffer.from('\n'));
  }
}

/** A newline and the start of the line that begins each commit's text. */
const NEXT_COMMIT = Buffer.from('\ncommit ', 'latin1');

/** Commit diffs parsed in this process (what the work-counting test and the benches read). Never reset here. */
export const diffsRead = { count: 0 };
