import { isUtf8 } from 'node:buffer';
import { BOUNDED_PACK_WINDOWS, runGit, streamGit, type GitOptions } from './run.js';

export type ChangeType = 'A' | 'M' | 'D' | 'R' | 'C' | 'T' | 'U' | 'X';

export interface FileChange {
  path: string;
  oldPath: string | null;
  changeType: ChangeType;
  similarity: number | null;
  addedLines: number | null;
  deletedLines: number | null;
  isBinary: boolean;
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
}

/**
 * The commit header. Fields are NUL-separated (no field can hold a NUL), the record starts with
 * STX so it cannot be confused with a diff entry, and the message is the last field.
 */
const HEADER_FIELDS = ['%H', '%P', '%aI', '%an', '%ae', '%cI', '%cn', '%ce', '%s', '%B'] as const;
export const LOG_FORMAT = `--format=%x02${HEADER_FIELDS.join('%x00')}%x00`;

/** git log arguments for commits with their raw status and numstat, NUL-delimited. */
export function commitLogArgs(): string[] {
  return [
    ...BOUNDED_PACK_WINDOWS,
    '-c',
    'log.showSignature=false',
    '-c',
    'core.quotePath=false',
    'log',
    '-z',
    '--raw',
    '--numstat',
    '-M',
    '--no-color',
    '--no-ext-diff',
    '--no-textconv',
    '--no-abbrev',
    '--encoding=UTF-8',
    LOG_FORMAT,
    '--ignore-missing',
    '--stdin',
  ];
}

const STX = 0x02;

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
/** Header fields that are ASCII by construction (shas, dates) decode as latin1, the rest as UTF-8. */
const ASCII_FIELDS = new Set([0, 1, 2, 5]);
const EMPTY = Buffer.alloc(0);

type Pending =
  | { kind: 'none' }
  | { kind: 'raw'; status: string; need: number; paths: string[] }
  | { kind: 'numstat'; added: number | null; deleted: number | null; paths: string[] };

/**
 * Incremental parser of `git log -z --raw --numstat` output in LOG_FORMAT. Feed it chunks;
 * it returns each commit once the next one (or the end) shows that it is complete. Tokens are
 * NUL-terminated and handled as offsets into the chunk, so nothing is copied twice.
 */
export class CommitStreamParser {
  private carry: Buffer = EMPTY;
  private header: string[] | null = null;
  private current: CommitRecord | null = null;
  private byPath = new Map<string, FileChange>();
  private pending: Pending = { kind: 'none' };

  push(chunk: Buffer, out: CommitRecord[]): void {
    const data = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    let start = 0;
    for (let nul = data.indexOf(0, start); nul !== -1; nul = data.indexOf(0, start)) {
      this.token(data, start, nul, out);
      start = nul + 1;
    }
    // Copy the tail so the big chunk it came from can be freed.
    this.carry = start < data.length ? Buffer.from(data.subarray(start)) : EMPTY;
  }

  end(out: CommitRecord[]): void {
    if (this.carry.length > 0) {
      const tail = this.carry;
      this.carry = EMPTY;
      this.token(tail, 0, tail.length, out);
    }
    this.finishCommit(out);
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
      const fields = data.toString('latin1', start + 1, end).split(' ');
      const status = fields[fields.length - 1] ?? 'X';
      const letter = status[0] ?? 'X';
      this.pending = { kind: 'raw', status, need: letter === 'R' || letter === 'C' ? 2 : 1, paths: [] };
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
    };
    this.header = null;
    this.byPath = new Map();
  }
  private change(path: string): FileChange {
    let change = this.byPath.get(path);
    if (!change) {
      change = { path, oldPath: null, changeType: 'M', similarity: null, addedLines: 0, deletedLines: 0, isBinary: false };
      this.byPath.set(path, change);
    }
    return change;
  }

  private finishRaw(pending: Extract<Pending, { kind: 'raw' }>): void {
    const letter = (pending.status[0] ?? 'X') as ChangeType;
    const path = pending.paths[pending.paths.length - 1]!;
    const change = this.change(path);
    change.changeType = 'AMDRCTUX'.includes(letter) ? letter : 'X';
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
    if (this.current) {
      this.current.changes = [...this.byPath.values()];
      out.push(this.current);
      this.current = null;
    }
  }
}

/**
 * Streams the commits reachable from `include` and not from `exclude`, in batches as git produces
 * them. Revisions go through stdin, so thousands of refs never hit the argument-length limit;
 * excluded tips that no longer exist are ignored.
 */
export async function* readCommits(
  include: readonly string[],
  exclude: readonly string[],
  options: Omit<GitOptions, 'input'>,
): AsyncGenerator<CommitRecord[]> {
  if (include.length === 0) return;
  const input = `${[...include, ...exclude.map((sha) => `^${sha}`)].join('\n')}\n`;
  const parser = new CommitStreamParser();
  // GIT_FLUSH=0: git otherwise flushes after every commit, and 50k tiny pipe writes cost more
  // than the parsing.
  const env = { ...(options.env ?? process.env), GIT_FLUSH: '0' };
  for await (const chunk of streamGit(commitLogArgs(), { ...options, env, input })) {
    const batch: CommitRecord[] = [];
    parser.push(chunk, batch);
    if (batch.length > 0) yield batch;
  }
  const last: CommitRecord[] = [];
  parser.end(last);
  if (last.length > 0) yield last;
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
 * For each of `heads`, the commits reachable from it but from none of `notFrom` — what
 * `commitsReachableOnlyFrom([head], notFrom)` lists, in another order — with the parents where it
 * leaves their history: one `git rev-list --parents` for every branch at once, walked in memory,
 * instead of a process per branch.
 */
export async function branchesOnlyFrom(heads: readonly string[], notFrom: readonly string[], cwd: string): Promise<Map<string, BranchOwn>> {
  const result = new Map<string, BranchOwn>();
  if (heads.length === 0) return result;
  const input = `${[...heads, ...notFrom.map((sha) => `^${sha}`)].join('\n')}\n`;
  const { stdout } = await runGit(['rev-list', '--parents', '--ignore-missing', '--stdin'], { cwd, input });
  const graph = new Map<string, string[]>();
  for (const line of stdout.toString('latin1').split('\n')) {
    if (!line) continue;
    const [sha, ...parents] = line.split(' ');
    graph.set(sha!, parents);
  }
  for (const head of heads) {
    const own: string[] = [];
    const leaves = new Set<string>();
    const seen = new Set<string>();
    const stack = graph.has(head) ? [head] : [];
    while (stack.length > 0) {
      const sha = stack.pop()!;
      if (seen.has(sha)) continue;
      seen.add(sha);
      own.push(sha);
      for (const p of graph.get(sha)!) {
        if (graph.has(p)) stack.push(p);
        else leaves.add(p);
      }
    }
    result.set(head, { own, leaves });
  }
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
