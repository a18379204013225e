// The transcript thread (started by parse-thread.ts on a first run): reads and parses the files it
// is sent, one after another, and posts what each parser told its sink as ops. It holds no
// database; its one question (callBelongsElsewhere) goes to the main thread, which answers after
// applying every op before it. Built into dist/transcript-thread.cjs.
import { isMainThread, type MessagePort, workerData } from 'node:worker_threads';
import { ALL_PROVIDERS } from '../providers/index.js';
import {
  type FileJob,
  type InFlight,
  mayPost,
  post,
  receive,
  STOPPED,
  TAKEN,
  TO_MAIN,
  TO_THREAD,
  type ToMain,
  type ToThread,
} from './thread-channel.js';
import { readTranscriptLines } from './transcript-lines.js';
import { CallSessions, OpSink } from './transcript-ops.js';

interface ThreadData {
  paceflowTranscriptThread: true;
  /** Whether the database held file edits when the run began. */
  editsStoredBefore: boolean;
  toMain: MessagePort;
  fromMain: MessagePort;
  signal: Int32Array;
  /** What it lets wait unread (thread-channel.ts). */
  inFlight: InFlight;
}

/** The main thread answers once it has written what came before the question; a first run's batch commit can take seconds. */
const ANSWER_WAIT_MS = 10 * 60 * 1000;

/** Thrown to leave whatever the thread is doing once the main thread has let it go. */
class Stopped extends Error {}

function run({ toMain, fromMain, signal, editsStoredBefore, inFlight }: ThreadData): void {
  let sent = 0;
  let sentEntries = 0;
  const send = (message: Exclude<ToMain, { t: 'fatal' }>) => {
    // Waits while what it let wait unread is at its bound (thread-channel.ts); wakes to look whether it was let go.
    for (;;) {
      if (Atomics.load(signal, STOPPED) !== 0) throw new Stopped();
      const taken = Atomics.load(signal, TAKEN);
      if (mayPost(signal, sent, sentEntries, inFlight)) break;
      Atomics.wait(signal, TAKEN, taken, 200);
    }
    sent++;
    sentEntries = (sentEntries + message.ops.length) | 0;
    post(toMain, signal, TO_MAIN, message);
  };
  // Every record id this run's files listed: a first run's stored records are exactly these.
  const recordIds = new Set<string>();
  const calls = new CallSessions(!editsStoredBefore);
  // Files the main thread sent ahead while this one waited for an answer: read after it.
  const backlog: ToThread[] = [];
  const answer = (): ToThread | null => {
    for (;;) {
      const message = receive<ToThread>(fromMain, signal, TO_THREAD, ANSWER_WAIT_MS);
      if (!message || message.t === 'answer') return message;
      backlog.push(message);
      if (message.t === 'stop') return null;
    }
  };
  for (;;) {
    // The main thread sends files as it goes and `stop` at the end; it is never idle for long.
    const message = backlog.shift() ?? receive<ToThread>(fromMain, signal, TO_THREAD, 24 * 60 * 60 * 1000);
    if (!message || message.t === 'stop' || Atomics.load(signal, STOPPED) !== 0) return;
    if (message.t === 'ids') {
      for (const id of message.ids) recordIds.add(id);
      if (message.edits) calls.lostSight();
    } else if (message.t === 'file') readFile(message, recordIds, calls, send, answer);
  }
}

function readFile(
  job: FileJob,
  recordIds: Set<string>,
  calls: CallSessions,
  send: (message: Exclude<ToMain, { t: 'fatal' }>) => void,
  answer: () => ToThread | null,
): void {
  const sink: OpSink = new OpSink(
    recordIds,
    job,
    {
      callBelongsElsewhere(sessionId, callId) {
        send({ t: 'ask', job: job.job, ops: sink.take(), sessionId, callId });
        const reply = answer();
        // Let go, or no answer in ANSWER_WAIT_MS: the main thread is past this file (it reads it itself).
        if (reply?.t !== 'answer') throw new Stopped();
        return reply.value;
      },
    },
    calls,
  );
  try {
    const parser = ALL_PROVIDERS[job.provider].parser({ file: job.file, sink, storedRecordId: job.storedRecordId });
    const read = readTranscriptLines(job.file.path, parser, (reason, n, detail) => sink.skip(reason, n, detail), {
      ...job,
      afterLine: () => {
        if (sink.ops.length >= job.opsPerMessage) send({ t: 'ops', job: job.job, ops: sink.take() });
      },
    });
    parser.end();
    send({ t: 'done', job: job.job, ops: sink.take(), read });
  } catch (error) {
    if (error instanceof Stopped) throw error;
    for (const id of sink.fileRecordIds) recordIds.delete(id);
    const err = error as NodeJS.ErrnoException;
    send({
      t: 'failed',
      job: job.job,
      ops: [],
      error: { message: err?.message ?? String(error), ...(typeof err?.code === 'string' ? { code: err.code } : {}) },
    });
  }
}

const data = workerData as ThreadData | undefined;
if (!isMainThread && data?.paceflowTranscriptThread) {
  try {
    run(data);
  } catch (error) {
    if (error instanceof Stopped) process.exit(0);
    post(data.toMain, data.signal, TO_MAIN, { t: 'fatal', error: String((error as Error)?.stack ?? error) } satisfies ToMain);
  }
}
