import { spawn } from 'node:child_process';
import { GitError } from '../errors.js';
import { BOUNDED_PACK_WINDOWS, countProcess } from './run.js';

/**
 * What a CatFileBatch answers: each object's content (`--batch`), or only its name and type
 * (`--batch-check`: git resolves `<rev>:<path>` through the trees and inflates no blob).
 */
export type CatFileAnswers = 'contents' | 'names';

/** An object a `names` batch resolved a request to. */
export interface ObjectName {
  sha: string;
  type: string;
}

/**
 * One `git cat-file --batch` process for many reads: each request (`<rev>:<path>`, a sha) is a line
 * written to it, each answer read back in order. The content rule asks for the files of thousands of
 * commits in a first build: one process instead of one per commit. Requests may not hold a newline
 * (git's batch protocol is line-based): such a request is answered null without asking git.
 *
 * An answer is lent to its reader's `take` where it stands — in git's chunk, or in one buffer kept
 * for the answers that span chunks — for the call only, and what `take` makes of it is the answer:
 * a buffer of its own for each file (Buffer.concat of its chunks, as first written) was ~750k
 * buffers and 31 GB allocated outside V8's heap in the content rule on git's own history with its
 * pull requests, each pushing V8 towards a full collection of a 130 MB heap.
 */
export class CatFileBatch {
  private readonly child;
  /**
   * What git wrote that no answer has taken yet: bytes [start, end) of `pending`, copied there only
   * when an answer is cut by the end of a chunk. Reused from answer to answer; let go once empty
   * when it grew past PENDING_KEPT (one large file does not hold its size for the rest of the run).
   */
  private pending = Buffer.alloc(0);
  private start = 0;
  private end = 0;
  /** The bytes from `start` the answer being read needs (0: unknown until its header is whole). */
  private needed = 0;
  private readonly waiting: { take: (bytes: Buffer) => unknown; resolve: (value: unknown) => void; reject: (error: Error) => void }[] = [];
  private failure: Error | null = null;
  /** Requests not yet written: those asked in one turn go to git in one write. */
  private unsent: string[] = [];

  /**
   * Git maps its packs in bounded windows here too (BOUNDED_PACK_WINDOWS): with git's defaults the
   * content rule's process on git's own history with its pull requests held 440 MB, reading file
   * after file across the whole pack.
   */
  constructor(
    cwd: string,
    private readonly answers: CatFileAnswers = 'contents',
  ) {
    countProcess(['cat-file']);
    const mode = answers === 'contents' ? '--batch' : '--batch-check=%(objectname) %(objecttype)';
    this.child = spawn('git', [...BOUNDED_PACK_WINDOWS, 'cat-file', mode], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (chunk: Buffer) => this.received(chunk));
    const fail = (error: Error) => {
      this.failure = error;
      for (const w of this.waiting.splice(0)) w.reject(error);
    };
    this.child.on('error', (error) =>
      fail(new GitError(`git cat-file --batch failed: ${error.message}`, ['cat-file', '--batch'], '', null)),
    );
    this.child.on('close', (code) => {
      if (this.waiting.length > 0)
        fail(new GitError(`git cat-file --batch exited (${code}) with requests unanswered`, ['cat-file', '--batch'], '', code));
    });
    this.child.stdin.on('error', () => undefined);
    this.child.stderr.resume();
  }

  /**
   * What `take` makes of the object's content, or null when git says it is missing. The content is
   * lent for the call (the bytes are read over after it): `take` copies what it keeps.
   */
  read<T>(request: string, take: (content: Buffer) => T): Promise<T | null> {
    if (this.answers !== 'contents') throw new Error('CatFileBatch.read needs a batch made for contents');
    return this.ask(request, take);
  }

  /** The object a request names and its type, or null when git says it is missing (a `names` batch). */
  nameOf(request: string): Promise<ObjectName | null> {
    if (this.answers !== 'names') throw new Error('CatFileBatch.nameOf needs a batch made for names');
    return this.ask(request, (header) => {
      const text = header.toString('utf8');
      const space = text.indexOf(' ');
      return { sha: text.slice(0, space), type: text.slice(space + 1) };
    });
  }

  /** Queues a request; `take` is given its answer: the content, or (a `names` batch) the header line. */
  private ask<T>(request: string, take: (bytes: Buffer) => T): Promise<T | null> {
    if (request.includes('\n')) return Promise.resolve(null);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<T | null>((resolve, reject) => {
      this.waiting.push({ take, resolve: resolve as (value: unknown) => void, reject });
      // A file list is asked for at once (FileLineKeysReader.at): one write for all of it, not a write (and a
      // system call) per path — thousands of them in a first build's content rule.
      if (this.unsent.push(`${request}\n`) === 1) queueMicrotask(() => this.send());
    });
  }

  /** Writes the requests not sent yet, in one write. */
  private send(): void {
    if (this.unsent.length === 0) return;
    const text = this.unsent.join('');
    this.unsent = [];
    this.child.stdin.write(text);
  }

  /** A chunk from git: the answers it completes are taken, what is left of it is kept. */
  private received(chunk: Buffer): void {
    if (this.start === this.end) {
      // Nothing held: the answers whole in the chunk are taken where they stand.
      this.keep(chunk, this.answer(chunk, 0, chunk.length));
      return;
    }
    this.append(chunk);
    if (this.end - this.start < this.needed) return;
    this.start = this.answer(this.pending, this.start, this.end);
    if (this.start === this.end) this.emptied();
  }

  /**
   * Gives the whole answers in data[from, to) to their readers, in order; returns where the first
   * answer not whole starts (`to` when none), its size known in `needed` once its header is.
   */
  private answer(data: Buffer, from: number, to: number): number {
    this.needed = 0;
    let at = from;
    while (this.waiting.length > 0) {
      const end = data.indexOf(0x0a, at);
      if (end < 0 || end >= to) break;
      const header = data.toString('utf8', at, end);
      if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
        this.waiting.shift()!.resolve(null);
        at = end + 1;
        continue;
      }
      if (this.answers === 'names') {
        this.settle(data, at, end);
        at = end + 1;
        continue;
      }
      const size = Number(header.split(' ')[2]);
      const whole = end + 1 + size + 1;
      if (whole > to) {
        this.needed = whole - at;
        break;
      }
      this.settle(data, end + 1, end + 1 + size);
      at = whole;
    }
    return at;
  }

  /** The first waiting reader takes data[from, to): its answer, or its failure. */
  private settle(data: Buffer, from: number, to: number): void {
    const reader = this.waiting.shift()!;
    try {
      reader.resolve(reader.take(data.subarray(from, to)));
    } catch (error) {
      reader.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** Keeps chunk[from, end) — an answer's start — as what is held (nothing when it was all taken). */
  private keep(chunk: Buffer, from: number): void {
    const length = chunk.length - from;
    if (length === 0) return;
    if (this.pending.length < Math.max(length, this.needed)) this.pending = Buffer.allocUnsafe(Math.max(length, this.needed, 64 * 1024));
    chunk.copy(this.pending, 0, from);
    this.start = 0;
    this.end = length;
  }

  /** Adds a chunk after what is held, moving it to the front or to a larger buffer when it must. */
  private append(chunk: Buffer): void {
    if (this.end + chunk.length > this.pending.length) {
      const held = this.end - this.start;
      const wanted = Math.max(held + chunk.length, this.needed);
      if (wanted > this.pending.length) {
        const larger = Buffer.allocUnsafe(Math.max(wanted, this.pending.length * 2));
        this.pending.copy(larger, 0, this.start, this.end);
        this.pending = larger;
      } else this.pending.copy(this.pending, 0, this.start, this.end);
      this.start = 0;
      this.end = held;
    }
    chunk.copy(this.pending, this.end);
    this.end += chunk.length;
  }

  /** All held bytes taken: the buffer starts over, or goes when a large answer grew it. */
  private emptied(): void {
    this.start = this.end = 0;
    if (this.pending.length > PENDING_KEPT) this.pending = Buffer.alloc(0);
  }

  /** Ends the process (it exits when its input closes). */
  close(): void {
    this.send(); // asked before closing: still answered
    this.child.stdin.end();
  }
}

/** The size past which the buffer of answers that spanned chunks is let go once empty. */
const PENDING_KEPT = 4 * 1024 * 1024;
