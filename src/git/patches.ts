import { StringDecoder } from 'node:string_decoder';
import { PatchIdStream } from './patch-id.js';
import { lineHashOf } from './line-balance.js';
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

/** What a commit's patch says of each file section beyond its lines: whether git called it binary. */
export interface ParsedPatch {
  patch: CommitPatch;
  /** One per file section, in `patch.files` order: "Binary files … differ" in place of hunks. */
  binary: boolean[];
  /** lineBalanceHash of `patch.files`, from a parser made to keep it (null: not kept). */
  lineBalance: number | null;
}

const PLUS = 0x2b;
const MINUS = 0x2d;
const SPACE = 0x20;
const BACKSLASH = 0x5c;

/**
 * The lines of one commit's patch-id diff (PATCH_ID_DIFF), line by line, into its files' added and
 * removed lines: what readCommitPatches and the history's own pass (log.ts, readCommits with
 * patches) both parse, so a diff reads the same from either. Context lines are read past.
 */
export class PatchLineParser {
  private current: ParsedPatch | null = null;
  private file: FilePatch | null = null;
  private inHunk = false;
  /** The commit's line balance so far (line-balance.ts), int32: removed lines add, added ones subtract. */
  private balance = 0;

  /**
   * `balanced`: also each commit's line balance (ParsedPatch.lineBalance), hashed line by line as the
   * lines are split off, where each stands in the chunk's text — what the history's pass stores for
   * every commit. A second pass over the split lines (lineBalanceHash) read every sliced copy again:
   * ~25 % more for the same hashes, ~0.3 s of a first run on git's own history.
   */
  constructor(private readonly balanced = false) {}

  /** Starts a commit's patch (finish the one before first). */
  start(sha: string): void {
    // A flat copy: a slice would hold the whole chunk of text it came from for as long as the
    // sha is kept (the run's diff store keys every commit read by it: +70 MB on a 20k first run).
    this.current = { patch: { sha: Buffer.from(sha, 'latin1').toString('latin1'), files: [] }, binary: [], lineBalance: null };
    this.file = null;
    this.inHunk = false;
    this.balance = 0;
  }

  /**
   * The line text[start, end) of the patch: a hunk's lines without a copy of the line first (a
   * context line, none in the patch-id diff, and a "\ No newline" marker are never made strings).
   */
  lineIn(text: string, start: number, end: number): void {
    if (this.inHunk) {
      const first = text.charCodeAt(start);
      if (first === PLUS) {
        this.file!.added.push(text.slice(start + 1, end));
        if (this.balanced) this.balance = (this.balance - lineHashOf(text, start + 1, end)) | 0;
        return;
      }
      if (first === MINUS) {
        this.file!.removed.push(text.slice(start + 1, end));
        if (this.balanced) this.balance = (this.balance + lineHashOf(text, start + 1, end)) | 0;
        return;
      }
      // Context, and "\ No newline at end of file".
      if (first === SPACE || first === BACKSLASH) return;
    }
    this.line(text.slice(start, end));
  }

  /** One line of the patch, without its newline. */
  line(text: string): void {
    const current = this.current;
    if (!current) return;
    if (text.startsWith('diff --git ')) {
      this.file = { path: '', oldPath: null, added: [], removed: [] };
      current.patch.files.push(this.file);
      current.binary.push(false);
      this.inHunk = false;
      return;
    }
    const file = this.file;
    if (!file) return;
    if (!this.inHunk) {
      if (text.startsWith('rename from ')) file.oldPath = unquoteGitPath(text.slice(12));
      else if (text.startsWith('rename to ')) file.path = unquoteGitPath(text.slice(10));
      else if (text.startsWith('+++ ')) {
        const target = headerPath(text.slice(4));
        if (target !== '/dev/null') file.path = unquoteGitPath(target);
        else if (file.oldPath) file.path = file.oldPath;
      } else if (text.startsWith('--- ') && !file.path) {
        const source = headerPath(text.slice(4));
        if (source !== '/dev/null' && !file.oldPath) file.oldPath = unquoteGitPath(source);
      } else if (text.startsWith('@@')) this.inHunk = true;
      else if (text.startsWith('Binary files ')) current.binary[current.binary.length - 1] = true;
      return;
    }
    if (text.startsWith('+')) {
      file.added.push(text.slice(1));
      if (this.balanced) this.balance = (this.balance - lineHashOf(text, 1, text.length)) | 0;
    } else if (text.startsWith('-')) {
      file.removed.push(text.slice(1));
      if (this.balanced) this.balance = (this.balance + lineHashOf(text, 1, text.length)) | 0;
    } else if (text.startsWith('@@')) this.inHunk = true;
  }

  /** The commit's patch, once its last line was given (null: none started). */
  finish(): ParsedPatch | null {
    const done = this.current;
    if (done && this.balanced) done.lineBalance = this.balance >>> 0;
    this.current = null;
    this.file = null;
    this.inHunk = false;
    return done;
  }
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
