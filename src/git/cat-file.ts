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
 */
export class CatFileBatch {
  private readonly child;
  /**
   * What git has written and no answer has taken yet, as it came (joined when an answer is whole):
   * joined at every chunk, a file of many chunks was copied again with each (git's Makefile and
   * message catalogs, read for candidate after candidate by the content rule).
   */
  private chunks: Buffer[] = [];
  private held = 0;
  /** The bytes the answer being read needs (0: unknown until its header is whole). */
  private needed = 0;
  private readonly waiting: { resolve: (value: Buffer | null) => void; reject: (error: Error) => void }[] = [];
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
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.held += chunk.length;
      if (this.held >= this.needed) this.drain();
    });
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
   * The object's content, or null when git says it is missing. The content is a view of the bytes
   * read from git (no copy): a caller that keeps it past its own use copies it.
   */
  read(request: string): Promise<Buffer | null> {
    if (this.answers !== 'contents') throw new Error('CatFileBatch.read needs a batch made for contents');
    return this.ask(request);
  }

  /** The object a request names and its type, or null when git says it is missing (a `names` batch). */
  async nameOf(request: string): Promise<ObjectName | null> {
    if (this.answers !== 'names') throw new Error('CatFileBatch.nameOf needs a batch made for names');
    const header = await this.ask(request);
    if (header === null) return null;
    const text = header.toString('utf8');
    const space = text.indexOf(' ');
    return { sha: text.slice(0, space), type: text.slice(space + 1) };
  }

  /** Queues a request; its answer: the content, or (a `names` batch) the header line. */
  private ask(request: string): Promise<Buffer | null> {
    if (request.includes('\n')) return Promise.resolve(null);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
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

  /** Answers the requests whose whole answer has arrived, in order. */
  private drain(): void {
    let buffer = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.held);
    this.needed = 0;
    while (this.waiting.length > 0) {
      const end = buffer.indexOf(0x0a);
      if (end < 0) break;
      const header = buffer.toString('utf8', 0, end);
      if (header.endsWith(' missing') || header.endsWith(' ambiguous')) {
        buffer = buffer.subarray(end + 1);
        this.waiting.shift()!.resolve(null);
        continue;
      }
      if (this.answers === 'names') {
        const line = buffer.subarray(0, end);
        buffer = buffer.subarray(end + 1);
        this.waiting.shift()!.resolve(line);
        continue;
      }
      const size = Number(header.split(' ')[2]);
      const whole = end + 1 + size + 1;
      if (buffer.length < whole) {
        this.needed = whole;
        break;
      }
      const content = buffer.subarray(end + 1, end + 1 + size);
      buffer = buffer.subarray(whole);
      this.waiting.shift()!.resolve(content);
    }
    this.chunks = buffer.length > 0 ? [buffer] : [];
    this.held = buffer.length;
  }

  /** Ends the process (it exits when its input closes). */
  close(): void {
    this.send(); // asked before closing: still answered
    this.child.stdin.end();
  }
}
