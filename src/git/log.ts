import { isUtf8 } from 'node:buffer';
import { runGit, streamGit, type GitOptions } from './run.js';

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
    '-c', 'log.showSignature=false',
    '-c', 'core.quotePath=false',
    'log', '-z', '--raw', '--numstat', '-M', '--no-color', '--no-ext-diff', '--no-textconv',
    '--no-abbrev', '--encoding=UTF-8', LOG_FORMAT, '--ignore-missing', '--stdin',
  ];
}

const STX = 0x02;

/**
 * Decodes a path exactly: valid UTF-8 as text, anything else in git's C-quoted form
 * ("\351t\351.txt"), so that two different byte paths never become one string.
 */
export function decodePath(bytes: Buffer): string {
  if (isUtf8(bytes)) return bytes.toString('utf8');
  let out = '"';
  for (const byte of bytes) {
    if (byte === 0x22) out += '\\"';
    else if (byte === 0x5c) out += '\\\\';
    else if (byte === 0x09) out += '\\t';
    else if (byte === 0x0a) out += '\\n';
    else if (byte < 0x20 || byte >= 0x7f) out += '\\' + byte.toString(8).padStart(3, '0');
    else out += String.fromCharCode(byte);
  }
  return out + '"';
}

function toIdentity(name: Buffer, email: Buffer, isoDate: Buffer): Identity {
  const raw = isoDate.toString('latin1');
  const tz = raw.endsWith('Z') ? '+00:00' : raw.slice(-6);
  return { name: name.toString('utf8'), email: email.toString('utf8'), at: new Date(raw).toISOString(), tz };
}

const NUMSTAT = /^(\d+|-)\t(\d+|-)\t/;

type Pending =
  | { kind: 'none' }
  | { kind: 'raw'; status: string; need: number; paths: string[] }
  | { kind: 'numstat'; added: number | null; deleted: number | null; paths: string[] };

/**
 * Incremental parser of `git log -z --raw --numstat` output in LOG_FORMAT. Feed it chunks;
 * it returns each commit once the next one (or the end) shows that it is complete.
 */
export class CommitStreamParser {
  private carry: Buffer = Buffer.alloc(0);
  private header: Buffer[] | null = null;
  private current: CommitRecord | null = null;
  private byPath = new Map<string, FileChange>();
  private pending: Pending = { kind: 'none' };

  push(chunk: Buffer, out: CommitRecord[]): void {
    const data = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    let start = 0;
    for (let nul = data.indexOf(0, start); nul !== -1; nul = data.indexOf(0, start)) {
      this.token(data.subarray(start, nul), out);
      start = nul + 1;
    }
    // Copy the tail so the big chunk it came from can be freed.
    this.carry = Buffer.from(data.subarray(start));
  }

  end(out: CommitRecord[]): void {
    if (this.carry.length > 0) {
      this.token(this.carry, out);
      this.carry = Buffer.alloc(0);
    }
    this.finishCommit(out);
  }

  private token(tok: Buffer, out: CommitRecord[]): void {
    if (this.header !== null) {
      this.header.push(tok);
      if (this.header.length === HEADER_FIELDS.length) this.startCommit(this.header);
      return;
    }
    const pending = this.pending;
    if (pending.kind === 'raw') {
      pending.paths.push(decodePath(tok));
      if (pending.paths.length === pending.need) this.finishRaw(pending);
      return;
    }
    if (pending.kind === 'numstat') {
      pending.paths.push(decodePath(tok));
      if (pending.paths.length === 2) this.finishNumstat(pending.added, pending.deleted, pending.paths[1]!);
      return;
    }
    if (tok.length === 0) return;
    if (tok[0] === STX) {
      this.finishCommit(out);
      this.header = [tok.subarray(1)];
      return;
    }
    let offset = 0;
    while (offset < tok.length && tok[offset] === 0x0a) offset++;
    if (tok[offset] === 0x3a /* ':' */) {
      const fields = tok.subarray(offset + 1).toString('latin1').split(' ');
      const status = fields[fields.length - 1] ?? 'X';
      const letter = status[0] ?? 'X';
      this.pending = { kind: 'raw', status, need: letter === 'R' || letter === 'C' ? 2 : 1, paths: [] };
      return;
    }
    const head = tok.subarray(offset, Math.min(tok.length, offset + 48)).toString('latin1');
    const m = NUMSTAT.exec(head);
    if (m) {
      const added = m[1] === '-' ? null : Number(m[1]);
      const deleted = m[2] === '-' ? null : Number(m[2]);
      const rest = tok.subarray(offset + m[0].length);
      if (rest.length === 0) this.pending = { kind: 'numstat', added, deleted, paths: [] };
      else this.finishNumstat(added, deleted, decodePath(rest));
      return;
    }
    throw new Error(`unexpected git log output near ${JSON.stringify(head)}`);
  }

  private startCommit(fields: Buffer[]): void {
    const [sha, parents, aI, an, ae, cI, cn, ce, subject, message] = fields as [
      Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer, Buffer,
    ];
    const parentText = parents.toString('latin1');
    this.current = {
      sha: sha.toString('latin1'),
      parents: parentText === '' ? [] : parentText.split(' '),
      author: toIdentity(an, ae, aI),
      committer: toIdentity(cn, ce, cI),
      subject: subject.toString('utf8'),
      message: message.toString('utf8'),
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
  const input = [...include, ...exclude.map((sha) => `^${sha}`)].join('\n') + '\n';
  const parser = new CommitStreamParser();
  for await (const chunk of streamGit(commitLogArgs(), { ...options, input })) {
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
  const input = [...include, ...exclude.map((sha) => `^${sha}`)].join('\n') + '\n';
  const { stdout } = await runGit(['rev-list', '--count', '--ignore-missing', '--stdin'], { ...options, input });
  return Number(stdout.toString('latin1').trim()) || 0;
}
