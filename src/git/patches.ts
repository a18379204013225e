import { StringDecoder } from 'node:string_decoder';
import { PatchIdStream } from './patch-id.js';
import { hashedLineEnd, lineHashOfBytes } from './line-balance.js';
import { type CountedLines, type PatchRecord, type RecordHeader, STAR } from './patch-record.js';
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
}

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

/** What a commit's patch says of each file section beyond its lines: whether git called it binary. */
export interface ParsedPatch {
  patch: CommitPatch;
  /** One per file section, in `patch.files` order: "Binary files … differ" in place of hunks. */
  binary: boolean[];
}

const PLUS = 0x2b;
const MINUS = 0x2d;
const SPACE = 0x20;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;
const D = 0x64;
/** The first bytes of the header lines fileHeaderLine reads, and of `diff --git`: d, r, +, -, @, B. */
const HEADER_FIRST = new Uint8Array(256);
for (const c of 'dr+-@B') HEADER_FIRST[c.charCodeAt(0)] = 1;

/**
 * The file sections of one commit's patch as its header lines name them, what both parsers below
 * read alike: each `diff --git` starts a file (`make`), the lines before its first hunk name its
 * paths or call it binary, and a hunk's @@ starts its lines.
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

/**
 * The lines of one commit's patch-id diff (PATCH_ID_DIFF), line by line, into its files' added and
 * removed lines: what readCommitPatches parses (the history's own pass keeps its patches as
 * records instead: PatchRecordParser). Context lines are read past.
 */
export class PatchLineParser {
  private sha: string | null = null;
  private sections = new FileSections<FilePatch>(newFilePatch);

  /** Starts a commit's patch (finish the one before first). */
  start(sha: string): void {
    // A flat copy: a slice would hold the whole chunk of text it came from for as long as the
    // sha is kept (the run's diff store keys every commit read by it: +70 MB on a 20k first run).
    this.sha = Buffer.from(sha, 'latin1').toString('latin1');
    this.sections = new FileSections<FilePatch>(newFilePatch);
  }

  /**
   * The line text[start, end) of the patch: a hunk's lines without a copy of the line first (a
   * context line, none in the patch-id diff, and a "\ No newline" marker are never made strings).
   */
  lineIn(text: string, start: number, end: number): void {
    if (this.sections.inHunk) {
      const first = text.charCodeAt(start);
      if (first === PLUS) {
        this.sections.file!.added.push(text.slice(start + 1, end));
        return;
      }
      if (first === MINUS) {
        this.sections.file!.removed.push(text.slice(start + 1, end));
        return;
      }
      // Context, and "\ No newline at end of file".
      if (first === SPACE || first === BACKSLASH) return;
    }
    this.line(text.slice(start, end));
  }

  /** One line of the patch, without its newline. */
  line(text: string): void {
    if (this.sha === null) return;
    const sections = this.sections;
    const file = sections.file;
    if (sections.inHunk && file && !text.startsWith('diff --git ')) {
      if (text.startsWith('+')) file.added.push(text.slice(1));
      else if (text.startsWith('-')) file.removed.push(text.slice(1));
      return;
    }
    sections.header(text);
  }

  /** The commit's patch, once its last line was given (null: none started). */
  finish(): ParsedPatch | null {
    const sha = this.sha;
    if (sha === null) return null;
    this.sha = null;
    const { files, binary } = this.sections;
    // Lines after it, before the next start, go nowhere (not into this patch's last file).
    this.sections = new FileSections<FilePatch>(newFilePatch);
    return { patch: { sha, files }, binary };
  }
}

function newFilePatch(): FilePatch {
  return { path: '', oldPath: null, added: [], removed: [] };
}

/** A commit's patch as the history's pass reads it: the diff store's record, and what it says beyond. */
export interface RecordedPatch {
  record: PatchRecord;
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
 * as a string per line (PatchLineParser) only to join them into the record and encode it back to
 * bytes: in a profiled first run on git's own history, reading the pass and making its records
 * took 4.40 s of node's main thread that way, 3.76 s this way (bench/README, session 46). A
 * header line (paths, a hunk's @@) is decoded and read as PatchLineParser reads it; context lines
 * and "\ No newline" markers are left out.
 */
export class PatchRecordParser {
  private sha: string | null = null;
  private sections = new FileSections<RecordedFile>(newRecordedFile);
  /** The commit's line balance so far, int32: removed lines add, added ones subtract. */
  private balance = 0;
  /** The record's lines so far: one buffer for every commit, each record's body a view of it, lent (PatchSink, log.ts). */
  private body = Buffer.allocUnsafe(64 << 10);
  private length = 0;
  /** Where in `body` the run being read puts the signs of its added lines `counted` holds. */
  private readonly marks: number[] = [];

  /** `counted`: the added lines each file's header entry counts and the record's signs mark (none: -1, no mark). */
  constructor(private readonly counted?: CountedLines['bytes']) {}

  /** Starts a commit's patch (finish the one before first). */
  start(sha: string): void {
    // A flat copy, as PatchLineParser's: the store keys every commit it keeps by it.
    this.sha = Buffer.from(sha, 'latin1').toString('latin1');
    this.sections = new FileSections<RecordedFile>(newRecordedFile);
    this.balance = 0;
    this.length = 0;
    this.marks.length = 0;
  }

  /** The patch's lines in data[start, end): whole lines, each ended by a newline but perhaps the stream's last. */
  lines(data: Buffer, start: number, end: number): void {
    if (this.sha === null) return;
    // Where the run of signed lines being read started (-1: none): copied whole where it ends.
    let run = -1;
    let at = start;
    const sections = this.sections;
    while (at < end) {
      const first = data[at];
      if (sections.inHunk && (first === PLUS || first === MINUS)) {
        const file = sections.file!;
        const hash = lineHashOfBytes(data, at + 1, end);
        const stop = hashedLineEnd.at;
        if (run < 0) run = at;
        if (first === PLUS) {
          file.added++;
          this.balance = (this.balance - hash) | 0;
          if (this.counted?.(data, at + 1, stop)) {
            file.counted++;
            // Its sign becomes '*' once the run is copied (the run's bytes land at this.length).
            this.marks.push(this.length + (at - run));
          }
        } else {
          file.removed++;
          this.balance = (this.balance + hash) | 0;
        }
        if (stop === end) {
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
    this.reserve(to - from);
    data.copy(this.body, this.length, from, to);
    this.length += to - from;
    for (const at of this.marks) this.body[at] = STAR;
    this.marks.length = 0;
  }

  private copyNewline(): void {
    this.reserve(1);
    this.body[this.length++] = NEWLINE;
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.body.length) return;
    const larger = Buffer.allocUnsafe(Math.max(this.body.length * 2, this.length + bytes));
    this.body.copy(larger, 0, 0, this.length);
    this.body = larger;
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
    return { record: { sha, header, body: this.body.subarray(0, this.length) }, binary, lineBalance: this.balance >>> 0 };
  }
}

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
 */
export async function* readCommitPatches(shas: readonly string[], options: ReadPatchesOptions): AsyncGenerator<CommitPatch> {
  if (shas.length === 0) return;
  const { onPatchIds, ...gitOptions } = options;
  const diff = PATCH_ID_DIFF;
  const args = [
    ...BOUNDED_PACK_WINDOWS,
    ...PATCH_ID_CONFIG,
    '-c',
    'log.showSignature=false',
    'log',
    '--no-walk=unsorted',
    '--stdin',
    ...diff,
    '--format=commit %H',
    '--diff-merges=first-parent',
  ];
  const env = { ...(gitOptions.env ?? process.env), GIT_FLUSH: '0' };
  const ids = onPatchIds ? new PatchIdStream() : null;
  let carry = '';
  const parser = new PatchLineParser();
  const done: CommitPatch[] = [];
  const line = (text: string, start = 0, end = text.length) => {
    if (text.startsWith('commit ', start)) {
      const finished = parser.finish();
      if (finished) done.push(finished.patch);
      parser.start(text.slice(start + 7, end).trim());
      return;
    }
    parser.lineIn(text, start, end);
  };

  const decoder = new StringDecoder('utf8');
  for await (const chunk of streamGit(args, { ...gitOptions, env, input: `${shas.join('\n')}\n` })) {
    ids?.write(chunk);
    yield* parsed(chunk);
  }
  carry += decoder.end();
  if (carry) line(carry);
  const last = parser.finish();
  if (last) done.push(last.patch);
  while (done.length > 0) {
    diffsRead.count++;
    yield done.shift()!;
  }
  if (ids && onPatchIds) {
    // git read every commit asked (a missing one fails the stream): each has its id, or none for
    // an empty diff. (The asked ids, not the ones parsed: those are slices of the text read.)
    const byCommit = ids.end();
    onPatchIds(new Map(shas.map((sha) => [sha, byCommit.get(sha) ?? null])));
  }

  function* parsed(chunk: Buffer): Generator<CommitPatch> {
    const text = carry + decoder.write(chunk);
    let from = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', from)) {
      line(text, from, nl);
      from = nl + 1;
    }
    carry = text.slice(from);
    while (done.length > 0) {
      diffsRead.count++;
      yield done.shift()!;
    }
  }
}

/** Commit diffs parsed in this process (what the work-counting test and the benches read). Never reset here. */
export const diffsRead = { count: 0 };
