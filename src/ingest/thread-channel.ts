import { type MessagePort, receiveMessageOnPort } from 'node:worker_threads';
import type { LineReadResult } from '../providers/jsonl.js';
import type { ProviderName, SourceFile } from '../providers/types.js';
import type { FileKnowledge } from './transcript-ops.js';

/**
 * The two threads of a transcript read talk through a pair of ports, each read synchronously
 * (receiveMessageOnPort): the main thread reads a file's ops inside that file's savepoint, as an
 * in-thread read does, and the transcript thread blocks on its one question. A poster bumps its
 * counter in a shared Int32Array and wakes the reader waiting on it (Atomics.wait), so neither
 * spins and neither needs an event loop turn.
 */
export const TO_MAIN = 0;
export const TO_THREAD = 1;
/** Messages the main thread has taken (the thread's flow control: see MESSAGES_IN_FLIGHT). */
export const TAKEN = 2;
/** Set once the main thread lets the thread go. */
export const STOPPED = 3;
/** The entries of the ops arrays the main thread has taken (see ENTRIES_IN_FLIGHT); counts modulo 2^32. */
export const TAKEN_ENTRIES = 4;
export const SIGNALS = 5;

/**
 * What the thread lets wait unread: at most ENTRIES_IN_FLIGHT entries of ops arrays (16 full
 * messages' worth) in at most MESSAGES_IN_FLIGHT messages. Each message is a serialized copy the
 * thread allocated, freed only when the main thread reads it; without a bound every op of the
 * files sent ahead waited at once, in the thread's own malloc arena, which glibc keeps after the
 * thread ends: 16 MB more resident after a read of the 80k bench history's transcripts. Bounded
 * by entries, not messages alone: most transcripts are one small message (their `done`), and 16
 * messages in flight held the thread at most 16 files ahead — through a stretch of files with
 * little for the main thread to write (long tool output, few records), the main thread then
 * waited for the thread (~1.1 s of a 9–10 s read of the 1 GB bench corpus), and through the next
 * the thread waited for it.
 */
export const ENTRIES_IN_FLIGHT = 16 * 8192;
export const MESSAGES_IN_FLIGHT = 1024;

/** The bound on what waits unread (tests set a small one, to make the thread wait often). */
export interface InFlight {
  entries: number;
  messages: number;
}

export const IN_FLIGHT: InFlight = { entries: ENTRIES_IN_FLIGHT, messages: MESSAGES_IN_FLIGHT };

/**
 * Whether the thread may post another message, with `sent` messages and `sentEntries` entries
 * posted (the entries modulo 2^32, as TAKEN_ENTRIES counts them). One message is always let
 * through, however many entries it holds: the main thread may be waiting for it.
 */
export function mayPost(signal: Int32Array, sent: number, sentEntries: number, bound: InFlight = IN_FLIGHT): boolean {
  const messages = sent - Atomics.load(signal, TAKEN);
  if (messages === 0) return true;
  return messages < bound.messages && ((sentEntries - Atomics.load(signal, TAKEN_ENTRIES)) | 0) < bound.entries;
}

/** A file for the thread: where to start, and what the main thread knows of it. */
export interface FileJob extends FileKnowledge {
  t: 'file';
  job: number;
  provider: ProviderName;
  file: SourceFile;
  startOffset: number;
  startLine: number;
  maxLineBytes: number;
  /** A batch of ops goes to the main thread at about this many entries, so it writes while the thread parses on. */
  opsPerMessage: number;
  skim: boolean;
  storedRecordId: string | null;
}

export type ToThread = FileJob | { t: 'ids'; ids: readonly string[]; edits: boolean } | { t: 'answer'; value: boolean } | { t: 'stop' };

export type ToMain =
  | { t: 'ops'; job: number; ops: unknown[] }
  | { t: 'ask'; job: number; ops: unknown[]; sessionId: string; callId: string }
  | { t: 'done'; job: number; ops: unknown[]; read: LineReadResult }
  | { t: 'failed'; job: number; ops: unknown[]; error: { message: string; code?: string } }
  | { t: 'fatal'; error: string };

export function post<T>(port: MessagePort, signal: Int32Array, index: number, message: T): void {
  port.postMessage(message);
  Atomics.add(signal, index, 1);
  Atomics.notify(signal, index);
}

/** The next message on `port`, waiting for it; null when none came within `timeoutMs` (the other side is gone). */
export function receive<T>(port: MessagePort, signal: Int32Array, index: number, timeoutMs: number): T | null {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Read the counter first: a message posted after this read changes it, so the wait returns at once.
    const seen = Atomics.load(signal, index);
    const received = receiveMessageOnPort(port);
    if (received) return received.message as T;
    const left = deadline - Date.now();
    if (left <= 0) return null;
    Atomics.wait(signal, index, seen, left);
  }
}
