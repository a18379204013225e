import { CatFileBatch } from '../../git/cat-file.js';
import { normalLineHashesOfBytes } from '../lines.js';

/**
 * A file version's lines as their normalLineHash keys, sorted: how often a line stands in the file is
 * a binary search, and a version compared again (the same file at the same candidate, for another
 * branch commit) is not read or hashed again. Every line counts, the empty one after a last newline too.
 */
export type LineKeys = Float64Array;

/** The sorted keys of a file's lines, hashed from its bytes where they stand. */
export function lineKeysOf(content: Buffer): LineKeys {
  return normalLineHashesOfBytes(content).sort();
}

/**
 * How many of `wanted`'s keys `file` holds, each file line used once: for each key, the lesser of
 * how often each holds it. Both sorted: one walk over the two.
 */
export function keysInBoth(wanted: LineKeys, file: LineKeys): number {
  let found = 0;
  let w = 0;
  let f = 0;
  while (w < wanted.length && f < file.length) {
    const a = wanted[w]!;
    const b = file[f]!;
    if (a < b) w++;
    else if (a > b) f++;
    else {
      found++;
      w++;
      f++;
    }
  }
  return found;
}

/** The keys of `wanted` that `file` does not hold (each file line used once), sorted. */
export function keysNotIn(wanted: LineKeys, file: LineKeys): LineKeys {
  const out = new Float64Array(wanted.length);
  let n = 0;
  let f = 0;
  for (let w = 0; w < wanted.length; w++) {
    const a = wanted[w]!;
    while (f < file.length && file[f]! < a) f++;
    if (f < file.length && file[f] === a) f++;
    else out[n++] = a;
  }
  return n === out.length ? out : out.slice(0, n);
}

/**
 * How many file versions' keys a reader holds at most, counted in lines (8 bytes each: 16 MB).
 * Git's Makefile is ~3,000 lines; the candidates of branch commits written about the same time are
 * mostly the same mainline commits.
 */
const LINE_KEYS_HELD = 2_000_000;

/** How many `<rev>:<path>` names a reader keeps (~200 bytes each: ~10 MB). */
const NAMES_HELD = 50_000;

/**
 * What every reader in this process asked of git (they only grow): `<rev>:<path>` names resolved,
 * file versions read and hashed. What tests and benches count.
 */
export const lineKeysWork = { namesAsked: 0, versionsHashed: 0 };

/**
 * The line keys of files at revisions, for the content rule. Each `<rev>:<path>` is resolved to its
 * blob by one `git cat-file --batch-check` (trees only), and a blob not held is read by one `git
 * cat-file --batch` and hashed once; the most recently used versions are kept, up to LINE_KEYS_HELD
 * lines. Read whole for each of a commit's candidates, file after file was most of a first build's
 * time on git's own history with its pull requests: ~100k branch commits, each comparing up to 50
 * candidates' files (17 of 30 s sampled hashing lines, git inflating the same blobs again beside it).
 */
export class FileLineKeysReader {
  private names: CatFileBatch | null = null;
  private contents: CatFileBatch | null = null;
  /** Held versions by blob, least recently used first (a Map keeps insertion order). */
  private readonly held = new Map<string, LineKeys>();
  private heldLines = 0;
  /**
   * Which blob each `<rev>:<path>` asked names, most recently used last: the candidates of commits
   * written about the same time are the same, and asked again they cost git a walk of the trees and
   * this process a request, an answer and a promise each (git's own history with its pull requests:
   * the batch-check process was the busier git, node waiting on it 12 of 30 s sampled).
   */
  private readonly named = new Map<string, string | null>();
  /** Blobs being read: a version asked twice before its answer came is read once. */
  private readonly reading = new Map<string, Promise<LineKeys | null>>();

  constructor(
    private readonly cwd: string,
    private readonly budget = LINE_KEYS_HELD,
  ) {}

  /**
   * The keys of each path's file at `rev` (a missing path, or one that is not a file, left out).
   * What is held is answered as it stands; only what git must answer waits (a promise a path made
   * three, most for files held: the content rule's sampled allocations, 632 MB in 30 s on git's own
   * history with its pull requests, were most of them promises, and a fifth of its time collecting).
   */
  at(rev: string, paths: readonly string[]): Promise<Map<string, LineKeys>> {
    const found: (LineKeys | null)[] = new Array<LineKeys | null>(paths.length).fill(null);
    const waiting: Promise<void>[] = [];
    for (let i = 0; i < paths.length; i++) {
      const blob = this.blobAt(rev, paths[i]!);
      if (blob === null) continue;
      const held = typeof blob === 'string' ? this.heldKeys(blob) : undefined;
      if (held) {
        found[i] = held;
        continue;
      }
      const keys = typeof blob === 'string' ? this.read(blob) : blob.then((named) => (named === null ? null : this.keysOf(named)));
      waiting.push(
        keys.then((read) => {
          found[i] = read;
        }),
      );
    }
    const files = () => {
      const out = new Map<string, LineKeys>();
      for (let i = 0; i < paths.length; i++) if (found[i]) out.set(paths[i]!, found[i]!);
      return out;
    };
    return waiting.length > 0 ? Promise.all(waiting).then(files) : Promise.resolve(files());
  }

  /** The blob a path names at a revision (null: missing there, or not a file), asked of git once while held. */
  private blobAt(rev: string, path: string): string | null | Promise<string | null> {
    const request = `${rev}:${path}`;
    const known = this.named.get(request);
    if (known !== undefined) {
      this.named.delete(request);
      this.named.set(request, known);
      return known;
    }
    this.names ??= new CatFileBatch(this.cwd, 'names');
    lineKeysWork.namesAsked++;
    return this.names.nameOf(request).then((object) => {
      const blob = object?.type === 'blob' ? object.sha : null;
      this.named.set(request, blob);
      if (this.named.size > NAMES_HELD) this.named.delete(this.named.keys().next().value!);
      return blob;
    });
  }

  /** A held version's keys (now the most recently used), or undefined. */
  private heldKeys(sha: string): LineKeys | undefined {
    const keys = this.held.get(sha);
    if (keys) {
      this.held.delete(sha);
      this.held.set(sha, keys);
    }
    return keys;
  }

  /** A version's keys: held, or read and hashed. */
  private keysOf(sha: string): LineKeys | Promise<LineKeys | null> {
    return this.heldKeys(sha) ?? this.read(sha);
  }

  /** A version not held, read and hashed (once, however often it is asked before its answer came). */
  private read(sha: string): Promise<LineKeys | null> {
    let reading = this.reading.get(sha);
    if (!reading) {
      this.contents ??= new CatFileBatch(this.cwd);
      // Hashed where git's answer stands, as it comes (the bytes are lent for the call).
      reading = this.contents.read(sha, lineKeysOf).then(
        (read) => {
          this.reading.delete(sha);
          if (read === null) return null;
          lineKeysWork.versionsHashed++;
          this.hold(sha, read);
          return read;
        },
        (error: unknown) => {
          this.reading.delete(sha);
          throw error;
        },
      );
      this.reading.set(sha, reading);
    }
    return reading;
  }

  private hold(sha: string, keys: LineKeys): void {
    this.held.set(sha, keys);
    this.heldLines += keys.length;
    for (const [oldest, old] of this.held) {
      if (this.heldLines <= this.budget) break;
      this.held.delete(oldest);
      this.heldLines -= old.length;
    }
  }

  /** Ends the git processes (each exits when its input closes). */
  close(): void {
    this.names?.close();
    this.contents?.close();
    this.names = null;
    this.contents = null;
  }
}
