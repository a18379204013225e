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
export const SIGNALS = 4;

/**
 * How many of its messages the thread lets wait unread. Each is a serialized copy the thread
 * allocated, freed only when the main thread reads it; the thread parses faster than the main
 * thread writes, so without a bound every op of the files sent ahead waited at once. That memory
 * came from the thread's own malloc arena, which glibc keeps after the thread ends: 16 MB more
 * resident after a read of the 80k bench history's transcripts.
 */
export const MESSAGES_IN_FLIGHT = 16;

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
