import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import type { LineReadResult } from '../providers/jsonl.js';
import {
  type FileJob,
  IN_FLIGHT,
  type InFlight,
  post,
  receive,
  SIGNALS,
  STOPPED,
  TAKEN,
  TAKEN_ENTRIES,
  TO_MAIN,
  TO_THREAD,
  type ToMain,
  type ToThread,
} from './thread-channel.js';
import { applyTranscriptOps, type OpQuestions, type OpTarget } from './transcript-ops.js';

/** The thread stopped answering or broke its protocol: the file is read again on the main thread, and so is the rest. */
export class TranscriptThreadGone extends Error {}

/** Where the thread's bundle is, next to the CLI's bundles in dist/ (src/ has none: tests pass dist's). */
export const TRANSCRIPT_THREAD_URL = new URL('../transcript-thread.cjs', import.meta.url);

/** How long the main thread waits for the next message of a file before it gives the thread up. */
const MESSAGE_WAIT_MS = 60_000;

/**
 * The main thread's end of the transcript thread: files are sent ahead (`send`) and their ops
 * taken in the same order (`take`), each inside its file's savepoint. Reading and parsing happen
 * on the thread while the main thread writes the file before: on a first run the two took about
 * the same time, one after the other.
 */
export class TranscriptThread {
  private nextJob = 1;
  private stopped = false;

  private constructor(
    private readonly worker: Worker,
    private readonly signal: Int32Array,
    private readonly toThread: MessagePort,
    private readonly fromThread: MessagePort,
    private readonly waitMs: number,
  ) {}

  /** A running thread, or null when its bundle is not there (running from src/) or it cannot start. */
  static start(
    editsStoredBefore: boolean,
    url: URL = TRANSCRIPT_THREAD_URL,
    waitMs = MESSAGE_WAIT_MS,
    inFlight: InFlight = IN_FLIGHT,
  ): TranscriptThread | null {
    const path = fileURLToPath(url);
    if (!existsSync(path)) return null;
    const toMain = new MessageChannel();
    const toThread = new MessageChannel();
    const signal = new Int32Array(new SharedArrayBuffer(SIGNALS * Int32Array.BYTES_PER_ELEMENT));
    let worker: Worker;
    try {
      worker = new Worker(path, {
        workerData: { paceflowTranscriptThread: true, editsStoredBefore, toMain: toMain.port2, fromMain: toThread.port2, signal, inFlight },
        transferList: [toMain.port2, toThread.port2],
        stdout: false,
        stderr: false,
      });
    } catch {
      return null;
    }
    // Its end is the main thread's business (stop); an error surfaces as a file it does not answer for.
    worker.on('error', () => {});
    worker.unref();
    return new TranscriptThread(worker, signal, toThread.port1, toMain.port1, waitMs);
  }

  /** Sends a file to be read; returns its job number for `take`. */
  send(job: Omit<FileJob, 't' | 'job'>): number {
    const number = this.nextJob++;
    this.post({ t: 'file', job: number, ...job });
    return number;
  }

  /**
   * What a file read on the main thread saved: its record ids (the thread's copies of them are
   * copies too), and whether it wrote edits (the thread then asks about every call).
   */
  savedElsewhere(ids: readonly string[], edits: boolean): void {
    if (ids.length > 0 || edits) this.post({ t: 'ids', ids, edits });
  }

  /**
   * A sent file's ops, handed to its writer as they come, its question answered; returns the read.
   * A file the thread could not read throws its error, as a read on this thread would.
   */
  take(job: number, target: OpTarget & OpQuestions): LineReadResult {
    for (;;) {
      const message = receive<ToMain>(this.fromThread, this.signal, TO_MAIN, this.waitMs);
      if (!message) throw new TranscriptThreadGone(`the transcript thread sent nothing for ${this.waitMs / 1000} s`);
      if (message.t === 'fatal') throw new TranscriptThreadGone(`the transcript thread failed: ${message.error.split('\n')[0]}`);
      // The entries before the message: the thread reads the count of messages first.
      Atomics.add(this.signal, TAKEN_ENTRIES, message.ops.length);
      Atomics.add(this.signal, TAKEN, 1);
      Atomics.notify(this.signal, TAKEN);
      if (message.job !== job) throw new TranscriptThreadGone(`the transcript thread sent file ${message.job}'s ops for file ${job}`);
      applyTranscriptOps(message.ops, target);
      switch (message.t) {
        case 'ops':
          break;
        case 'ask':
          this.post({ t: 'answer', value: target.callBelongsElsewhere(message.sessionId, message.callId) });
          break;
        case 'done': {
          const { head } = message.read;
          // A Buffer crosses as a plain Uint8Array.
          return head ? { ...message.read, head: Buffer.from(head.buffer, head.byteOffset, head.byteLength) } : message.read;
        }
        case 'failed':
          throw Object.assign(new Error(message.error.message), message.error.code ? { code: message.error.code } : {});
      }
    }
  }

  /** Ends the thread (it finishes the file in hand, if any, and exits). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    Atomics.store(this.signal, STOPPED, 1);
    Atomics.notify(this.signal, TAKEN);
    try {
      this.post({ t: 'stop' });
    } catch {
      // Already gone.
    }
    this.toThread.close();
    this.fromThread.close();
    void this.worker.terminate().catch(() => {});
  }

  private post(message: ToThread): void {
    post(this.toThread, this.signal, TO_THREAD, message);
  }
}
