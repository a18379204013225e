import { isUtf8 } from 'node:buffer';
import { ParentGraph } from './parent-graph.js';
import { PatchIdHasher } from './patch-id.js';
import { diffsRead, PATCH_ID_CONFIG, PATCH_ID_DIFF, PatchRecordParser, type RecordedPatch } from './patches.js';
import type { CountedLines, PatchRecord } from './patch-record.js';
import { BOUNDED_PACK_WINDOWS_EXCLUDING, FIRST_PASS_PACK_WINDOWS, runGit, streamGit, type GitOptions } from './run.js';

export type ChangeType = 'A' | 'M' | 'D' | 'R' | 'C' | 'T' | 'U' | 'X';

export interface FileChange {
  path: string;
  oldPath: string | null;
  changeType: ChangeType;
  similarity: number | null;
  addedLines: number | null;
  deletedLines: number | null;
  isBinary: boolean;
  /**
   * The blob at `path` after the change, from the raw entry: null when the path holds none there
   * (deleted, a submodule) or when it was not read.
   */
  blob: string | null;
}

export interface Identity {
  name: string;
  email: string;
  /** ISO-8601 UTC, milliseconds. */
  at: string;
  /** The recorded offset, e.g. '+02:00'. */
  tz: string;
}

export interface CommitRecord {
  sha: string;
  parents: string[];
  author: Identity;
  committer: Identity;
  subject: string;
  message: string;
  changes: FileChange[];
  /** lineBalanceHash of the commit's patch-id diff (null: its diff was not read, as without patches). */
  lineBalance: number | null;
}

/**
 * The commit header. Fields are NUL-separated (no field can hold a NUL), the record starts with
 * STX so it cannot be confused with a diff entry, and the message is the last field.
 */
const HEADER_FIELDS = ['%H', '%P', '%aI', '%an', '%ae', '%cI', '%cn', '%ce', '%s', '%B'] as const;
export const LOG_FORMAT = `--format=%x02${HEADER_FIELDS.join('%x00')}%x00`;

/**
 * git log arguments for commits with their raw status and numstat, NUL-delimited; with `patches`,
 * the raw status and each commit's patch-id diff (PATCH_ID_DIFF) in place of the numstat, which is
 * counted from the patch (CommitStreamParser). Merges show no diff either way. `excluding`: the
 * revisions exclude recorded tips (BOUNDED_PACK_WINDOWS_EXCLUDING); else a first run's pass or the
 * recount of a few commits (FIRST_PASS_PACK_WINDOWS).
 */
export function commitLogArgs(patches = false, excluding = false): string[] {
  return [
    ...(excluding ? BOUNDED_PACK_WINDOWS_EXCLUDING : FIRST_PASS_PACK_WINDOWS),
    '-c',
    'log.showSignature=false',
    ...PATCH_ID_CONFIG,
    'log',
    '-z',
    '--raw',
    ...(patches ? PATCH_ID_DIFF : ['--numstat', '-M', '--no-color', '--no-ext-diff', '--no-textconv']),
    '--diff-merges=off',
    '--no-abbrev',
    '--encoding=UTF-8',
    LOG_FORMAT,
    '--ignore-missing',
    '--stdin',
  ];
}

const STX = 0x02;
/** A newline and the STX of the next record: where a patch ends. */
const NEXT_RECORD = Buffer.from([0x0a, STX]);

/**
 * Decodes a path exactly: valid UTF-8 as text, anything else in git's C-quoted form
 * ("\351t\351.txt"), so that two different byte paths never become one string.
 */
export function decodePath(bytes: Buffer, start = 0, end = bytes.length): string {
  const text = bytes.toString('utf8', start, end);
  // U+FFFD in the result means invalid bytes, or a real U+FFFD in the name: check exactly.
  if (!text.includes('\uFFFD') || isUtf8(bytes.subarray(start, end))) return text;
  let out = '"';
  for (let i = start; i < end; i++) {
    const byte = bytes[i]!;
    if (byte === 0x22) out += '\\"';
    else if (byte === 0x5c) out += '\\\\';
    else if (byte === 0x09) out += '\\t';
    else if (byte === 0x0a) out += '\\n';
    else if (byte < 0x20 || byte >= 0x7f) out += `\\${byte.toString(8).padStart(3, '0')}`;
    else out += String.fromCharCode(byte);
  }
  return `${out}"`;
}

function toIdentity(name: string, email: string, isoDate: string): Identity {
  const tz = isoDate.endsWith('Z') ? '+00:00' : isoDate.slice(-6);
  return { name, email, at: new Date(isoDate).toISOString(), tz };
}

const NUMSTAT = /^(\d+|-)\t(\d+|-)\t/;

/**
 * Whether a raw entry's mode is a file's — a regular file, an executable one or a symbolic link,
 * each a blob — and not a submodule (160000: a commit) or nothing (000000: deleted).
 */
function isFileMode(mode: string): boolean {
  return mode === '100644' || mode === '100755' || mode === '120000';
}
/** Header fields that are ASCII by construction (shas, dates) decode as latin1, the rest as UTF-8. */
const ASCII_FIELDS = new Set([0, 1, 2, 5]);
const EMPTY = Buffer.alloc(0);

type Pending =
  | { kind: 'none' }
  | { kind: 'raw'; status: string; blob: string | null; need: number; paths: string[] }
  | { kind: 'numstat'; added: number | null; deleted: number | null; paths: string[] };

/** Where the history's pass hands each commit's patch (CommitStreamParser's patch mode, readCommits' onPatch). */
export interface PatchSink {
  /**
   * A commit's patch as the diff store's record, as soon as the commit is read. Its `body` is
   * lent: a view of the parser's own buffer, valid only during the call (copy it to keep it). A
   * buffer of its own per commit was outside V8's heap and made V8 collect its whole heap ~60
   * times in a first run on git's own history, not ~9.
   */
  onPatch(record: PatchRecord): void;
  /** The added lines each record's header counts (none: -1). */
  counted?: CountedLines['bytes'];
}

/**
 * Incremental parser of `git log -z --raw --numstat` output in LOG_FORMAT — or, with `patches`, of
 * `--raw` and the patch-id diff (commitLogArgs(true)). Feed it chunks; it returns each commit once
 * the next one (or the end) shows that it is complete. Tokens are NUL-terminated and handled as
 * offsets into the chunk, so nothing is copied twice. A patch is newline-terminated text that runs
 * from its first `diff ` line to the next record's STX (a patch line never starts with one: it
 * starts with a space, +, -, @, \ or a header word), read line by line: a text file may hold a NUL
 * past the 8,000 bytes git looks at to call it binary.
 */
export class CommitStreamParser {
  private carry: Buffer = EMPTY;
  private header: string[] | null = null;
  private current: CommitRecord | null = null;
  private byPath = new Map<string, FileChange>();
  private pending: Pending = { kind: 'none' };
  private readonly patches: PatchRecordParser | null;
  /** Inside the current commit's patch. */
  private inPatch = false;
  /** The current commit is a merge or none: its patch, if any, is not parsed. */
  private patchStarted = false;
  private readonly onPatch: ((record: PatchRecord) => void) | null;
  /** Each patch's id, from its bytes as they are parsed (patch mode). */
  private readonly hasher: PatchIdHasher | null;
  private patchIds = new Map<string, string>();
  /**
   * Commits whose file counts the patch cannot give exactly, for the reader to ask git's numstat:
   * a type change (git prints it as a deletion and an addition, numstat diffs one against the
   * other), a rename or copy without a change (no patch lines, where numstat says whether the file
   * is binary), or sections that do not pair with the raw entries one to one.
   */
  readonly recount: string[] = [];
  /** The line balance of each recount commit, read from its patch (the numstat pass reads none). */
  readonly recountBalance = new Map<string, number>();

  /**
   * `patches` (patch mode): `onPatch` is handed each commit's patch as the diff store's record
   * (patch-record.ts; merges have none) once the commit is read — its body lent, see PatchSink;
   * `counted`, the added lines each record's header counts.
   */
  constructor(options: { patches?: PatchSink } = {}) {
    // One hasher the record parser hands each line: the two read a hunk's lines in one loop.
    this.hasher = options.patches ? new PatchIdHasher() : null;
    this.patches = options.patches ? new PatchRecordParser(options.patches.counted, undefined, this.hasher) : null;
    this.onPatch = options.patches?.onPatch ?? null;
  }

  push(chunk: Buffer, out: CommitRecord[]): void {
    this.consume(this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk, false, out);
  }

  end(out: CommitRecord[]): void {
    const tail = this.carry;
    this.carry = EMPTY;
    if (tail.length > 0) this.consume(tail, true, out);
    this.finishCommit(out);
  }

  /** The patch-ids (git patch-id --stable) of the commits finished so far that have one (an empty diff has none), each once. */
  takePatchIds(): Map<string, string> {
    const taken = this.patchIds;
    this.patchIds = new Map();
    return taken;
  }

  private consume(data: Buffer, final: boolean, out: CommitRecord[]): void {
    let start = 0;
    while (start < data.length) {
      if (this.inPatch) {
        start = this.patchLines(data, start, final);
        if (this.inPatch) break;
        continue;
      }
      if (this.awaitingPatch()) {
        if (data.length - start < 5 && !final) break;
        if (data.toString('latin1', start, start + 5) === 'diff ') {
          this.inPatch = true;
          continue;
        }
      }
      const nul = data.indexOf(0, start);
      if (nul === -1) {
        if (final) {
          this.token(data, start, data.length, out);
          start = data.length;
        }
        break;
      }
      this.token(data, start, nul, out);
      start = nul + 1;
    }
    // Copy the tail so the big chunk it came from can be freed.
    this.carry = start < data.length ? Buffer.from(data.subarray(start)) : EMPTY;
  }

  /** Whether the current commit's patch may start here: its header and raw entries are read. */
  private awaitingPatch(): boolean {
    return this.patches !== null && this.header === null && this.current !== null && this.pending.kind === 'none';
  }

  /** Reads the patch's complete lines from `start`; where it ends, leaves patch mode. Returns where it stopped. */
  private patchLines(data: Buffer, start: number, final: boolean): number {
    if (data[start] === STX) {
      this.inPatch = false;
      return start;
    }
    const stop = data.indexOf(NEXT_RECORD, start);
    let end: number;
    if (stop !== -1) end = stop + 1;
    else if (final) end = data.length;
    else {
      const nl = data.lastIndexOf(0x0a);
      if (nl < start) return start;
      end = nl + 1;
    }
    // The record parser hands each line to the hasher too.
    if (this.patchStarted) this.patches!.lines(data, start, end);
    if (stop !== -1 || final) this.inPatch = false;
    return end;
  }

  private token(data: Buffer, start: number, end: number, out: CommitRecord[]): void {
    const header = this.header;
    if (header !== null) {
      header.push(data.toString(ASCII_FIELDS.has(header.length) ? 'latin1' : 'utf8', start, end));
      if (header.length === HEADER_FIELDS.length) this.startCommit(header);
      return;
    }
    const pending = this.pending;
    if (pending.kind === 'raw') {
      pending.paths.push(decodePath(data, start, end));
      if (pending.paths.length === pending.need) this.finishRaw(pending);
      return;
    }
    if (pending.kind === 'numstat') {
      pending.paths.push(decodePath(data, start, end));
      if (pending.paths.length === 2) this.finishNumstat(pending.added, pending.deleted, pending.paths[1]!);
      return;
    }
    if (start === end) return;
    if (data[start] === STX) {
      this.finishCommit(out);
      this.header = [data.toString('latin1', start + 1, end)];
      return;
    }
    while (start < end && data[start] === 0x0a) start++;
    if (data[start] === 0x3a /* ':' */) {
      // `:<old mode> <new mode> <old blob> <new blob> <status>`
      const fields = data.toString('latin1', start + 1, end).split(' ');
      const status = fields[fields.length - 1] ?? 'X';
      const letter = status[0] ?? 'X';
      const blob = fields.length === 5 && isFileMode(fields[1]!) ? fields[3]! : null;
      this.pending = { kind: 'raw', status, blob, need: letter === 'R' || letter === 'C' ? 2 : 1, paths: [] };
      return;
    }
    const head = data.toString('latin1', start, Math.min(end, start + 48));
    const m = NUMSTAT.exec(head);
    if (m) {
      const added = m[1] === '-' ? null : Number(m[1]);
      const deleted = m[2] === '-' ? null : Number(m[2]);
      const pathStart = start + m[0].length;
      if (pathStart === end) this.pending = { kind: 'numstat', added, deleted, paths: [] };
      else this.finishNumstat(added, deleted, decodePath(data, pathStart, end));
      return;
    }
    throw new Error(`unexpected git log output near ${JSON.stringify(head)}`);
  }

  private startCommit(fields: string[]): void {
    const [sha, parents, aI, an, ae, cI, cn, ce, subject, message] = fields as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    this.current = {
      sha,
      parents: parents === '' ? [] : parents.split(' '),
      author: toIdentity(an, ae, aI),
      committer: toIdentity(cn, ce, cI),
      subject,
      message,
      changes: [],
      lineBalance: null,
    };
    this.header = null;
    this.byPath = new Map();
    this.patchStarted = this.patches !== null && this.current.parents.length <= 1;
    if (this.patchStarted) this.patches!.start(sha);
  }
  private change(path: string): FileChange {
    let change = this.byPath.get(path);
    if (!change) {
      change = { path, oldPath: null, changeType: 'M', similarity: null, addedLines: 0, deletedLines: 0, isBinary: false, blob: null };
      this.byPath.set(path, change);
    }
    return change;
  }

  private finishRaw(pending: Extract<Pending, { kind: 'raw' }>): void {
    const letter = (pending.status[0] ?? 'X') as ChangeType;
    const path = pending.paths[pending.paths.length - 1]!;
    const change = this.change(path);
    change.changeType = 'AMDRCTUX'.includes(letter) ? letter : 'X';
    change.blob = pending.blob;
    if (pending.paths.length === 2) {
      change.oldPath = pending.paths[0]!;
      const score = Number(pending.status.slice(1));
      change.similarity = Number.isFinite(score) ? score : null;
    }
    this.pending = { kind: 'none' };
  }

  private finishNumstat(added: number | null, deleted: number | null, path: string): void {
    const change = this.change(path);
    if (added === null || deleted === null) {
      change.isBinary = true;
      change.addedLines = null;
      change.deletedLines = null;
    } else if (!change.isBinary) {
      change.addedLines = (change.addedLines ?? 0) + added;
      change.deletedLines = (change.deletedLines ?? 0) + deleted;
    }
    this.pending = { kind: 'none' };
  }

  private finishCommit(out: CommitRecord[]): void {
    if (this.header !== null) throw new Error('git log output ended inside a commit header');
    const current = this.current;
    if (!current) return;
    this.current = null;
    current.changes = [...this.byPath.values()];
    const parsed = this.patchStarted ? this.patches!.finish() : null;
    this.patchStarted = false;
    if (parsed) {
      const id = this.hasher!.finish();
      if (id !== null) this.patchIds.set(current.sha, id);
      diffsRead.count++;
      this.onPatch!(parsed.record);
      const balance = parsed.lineBalance;
      current.lineBalance = balance;
      if (!countFromPatch(current.changes, parsed)) {
        this.recount.push(current.sha);
        this.recountBalance.set(current.sha, balance);
        return;
      }
    }
    out.push(current);
  }
}

/**
 * Each raw entry's numstat from its patch section (they come in the same order): the added and
 * removed lines, or binary. False when that would not be what `--numstat` says (see
 * CommitStreamParser.recount): the commit's counts are then asked of git.
 */
function countFromPatch(changes: FileChange[], parsed: RecordedPatch): boolean {
  const { header } = parsed.record;
  if (changes.length !== header.length) return false;
  for (let i = 0; i < changes.length; i++) {
    const change = changes[i]!;
    const [path, , added, removed] = header[i]!;
    if (change.changeType === 'T' || change.similarity === 100) return false;
    // Binary and mode-only sections name no path (no ---/+++ lines); the others must be this entry.
    if (path !== '' && path !== change.path) return false;
    if (parsed.binary[i]) {
      change.isBinary = true;
      change.addedLines = null;
      change.deletedLines = null;
    } else {
      change.addedLines = added;
      change.deletedLines = removed;
    }
  }
  return true;
}

/** The options of readCommits. */
export interface ReadCommitsOptions extends Omit<GitOptions, 'input'> {
  /**
   * Also each commit's patch-id diff (PATCH_ID_DIFF, what readCommitPatches reads) as the diff
   * store's record (patch-record.ts), handed over as it is parsed — merges have none; a commit with
   * an empty diff, no files — from the same `git log`: the numstat is counted from it instead of
   * git diffing every file twice.
   */
  onPatch?: PatchSink['onPatch'];
  /** With onPatch: the added lines each record's header counts (none: -1). */
  counted?: PatchSink['counted'];
  /**
   * With onPatch: the patch-id of each patch handed over that has one (a commit without is an
   * empty diff), once the stream was read — git patch-id --stable's, computed from the text as it
   * is parsed (patch-id.ts).
   */
  onPatchIds?: (ids: Map<string, string>) => void;
}

/**
 * Streams the commits reachable from `include` and not from `exclude`, in batches as git produces
 * them. Revisions go through stdin, so thousands of refs never hit the argument-length limit;
 * excluded tips that no longer exist are ignored. With onPatch, the few commits whose counts the
 * patch cannot give come last, from one more `git log --numstat` of just those.
 */
export async function* readCommits(
  include: readonly string[],
  exclude: readonly string[],
  options: ReadCommitsOptions,
): AsyncGenerator<CommitRecord[]> {
  if (include.length === 0) return;
  const { onPatch, onPatchIds, counted, ...gitOptions } = options;
  const input = `${[...include, ...exclude.map((sha) => `^${sha}`)].join('\n')}\n`;
  const parser = new CommitStreamParser(onPatch ? { patches: { onPatch, ...(counted ? { counted } : {}) } } : {});
  // GIT_FLUSH=0: git otherwise flushes after every commit, and 50k tiny pipe writes cost more
  // than the parsing.
  const env = { ...(gitOptions.env ?? process.env), GIT_FLUSH: '0' };
  const ids = new Map<string, string>();
  const handOver = () => {
    for (const [sha, id] of parser.takePatchIds()) ids.set(sha, id);
  };
  for await (const chunk of streamGit(commitLogArgs(onPatch !== undefined, exclude.length > 0), { ...gitOptions, env, input })) {
    const batch: CommitRecord[] = [];
    parser.push(chunk, batch);
    if (onPatch) handOver();
    if (batch.length > 0) yield batch;
  }
  const last: CommitRecord[] = [];
  parser.end(last);
  if (onPatch) handOver();
  if (last.length > 0) yield last;
  if (parser.recount.length > 0) {
    const again = new CommitStreamParser();
    const recount = `${parser.recount.join('\n')}\n`;
    for await (const chunk of streamGit([...commitLogArgs(), '--no-walk=unsorted'], {
      ...gitOptions,
      env,
      input: recount,
      largeWrites: false,
    })) {
      const batch: CommitRecord[] = [];
      again.push(chunk, batch);
      if (batch.length > 0) yield withBalance(batch, parser.recountBalance);
    }
    const rest: CommitRecord[] = [];
    again.end(rest);
    if (rest.length > 0) yield withBalance(rest, parser.recountBalance);
  }
  // Once the whole stream was read (never after a failure: the ids of a part would pass for all).
  if (onPatch) onPatchIds?.(ids);
}

/** The recounted commits with the line balances their patches gave. */
function withBalance(records: CommitRecord[], balances: ReadonlyMap<string, number>): CommitRecord[] {
  for (const record of records) record.lineBalance = balances.get(record.sha) ?? null;
  return records;
}

/** How many commits `readCommits` would return for the same revisions (for a progress bar). */
export async function countCommits(
  include: readonly string[],
  exclude: readonly string[],
  options: Omit<GitOptions, 'input'>,
): Promise<number> {
  if (include.length === 0) return 0;
  const input = `${[...include, ...exclude.map((sha) => `^${sha}`)].join('\n')}\n`;
  const { stdout } = await runGit(['rev-list', '--count', '--ignore-missing', '--stdin'], { ...options, input });
  return Number(stdout.toString('latin1').trim()) || 0;
}

/** What a branch has of its own: its commits off the excluded history, and the parents where it leaves it. */
export interface BranchOwn {
  own: string[];
  /** Parents of `own` outside it: commits of the excluded history (or missing). */
  leaves: Set<string>;
}

/**
 * The branch walks a run made (`branchesOnlyFrom`), kept for the run's later steps: a first run's
 * ingest walks every new ref's own commits to find orphan branches, and the outcome build asks
 * for the same refs' (git's own history: 0.8 s of git's CPU a walk). A walk from
 * heads H not reachable from N holds every commit any subset of H has off N, so it answers any
 * later question of those heads and N. Made and dropped with the run: objects git gets later (a
 * fetch) are another run's.
 */
export class BranchWalks {
  private readonly walks: { key: string; heads: Set<string>; graph: ParentGraph }[] = [];

  /** The walk that answers for `heads` off `notFrom` (null: none made covers them all; one of `notFrom` has nothing off it). */
  find(heads: readonly string[], notFrom: readonly string[], cwd: string): ParentGraph | null {
    const key = walkKey(notFrom, cwd);
    return this.walks.find((w) => w.key === key && heads.every((h) => w.heads.has(h) || notFrom.includes(h)))?.graph ?? null;
  }

  keep(heads: readonly string[], notFrom: readonly string[], cwd: string, graph: ParentGraph): void {
    this.walks.push({ key: walkKey(notFrom, cwd), heads: new Set(heads), graph });
  }
}

const walkKey = (notFrom: readonly string[], cwd: string) => `${cwd}\0${[...notFrom].sort().join(' ')}`;

/**
 * For each of `heads`, the commits reachable from it but from none of `notFrom` — what
 * `commitsReachableOnlyFrom([head], notFrom)` lists, in another order — with the parents where it
 * leaves their history: one `git rev-list --parents` for every branch at once, walked in memory,
 * instead of a process per branch; none when the run's `walks` already made one for these heads.
 */
export async function branchesOnlyFrom(
  heads: readonly string[],
  notFrom: readonly string[],
  cwd: string,
  walks?: BranchWalks,
): Promise<Map<string, BranchOwn>> {
  const result = new Map<string, BranchOwn>();
  if (heads.length === 0) return result;
  let graph = walks?.find(heads, notFrom, cwd) ?? null;
  if (!graph) {
    const input = `${[...heads, ...notFrom.map((sha) => `^${sha}`)].join('\n')}\n`;
    const { stdout } = await runGit(['rev-list', '--parents', '--ignore-missing', '--stdin'], { cwd, input });
    graph = ParentGraph.parse(stdout);
    walks?.keep(heads, notFrom, cwd, graph);
  }
  for (const head of heads) result.set(head, graph.walkFrom(head));
  return result;
}

/**
 * Commits reachable from `from` but from none of `notFrom` (missing objects ignored, unless
 * `ignoreMissing` is false: then a missing one fails the call).
 */
export async function commitsReachableOnlyFrom(
  from: readonly string[],
  notFrom: readonly string[],
  cwd: string,
  options: { ignoreMissing?: boolean } = {},
): Promise<string[]> {
  if (from.length === 0) return [];
  const input = `${[...from, ...notFrom.map((sha) => `^${sha}`)].join('\n')}\n`;
  const args = options.ignoreMissing === false ? ['rev-list', '--stdin'] : ['rev-list', '--ignore-missing', '--stdin'];
  const { stdout } = await runGit(args, { cwd, input });
  return stdout.toString('latin1').split('\n').filter(Boolean);
}
