import type { SqlValue } from '../db/driver.js';
import type { EditInput, EditOutcome, RecordInput, SessionInfo, SessionSink, SkipReason } from '../providers/types.js';

/**
 * What a provider's parser tells its SessionSink, as a flat list that can cross to another thread:
 * a code, then that call's arguments. The transcript thread (transcript-thread.ts) parses a file
 * into these; the main thread hands them to the file's SessionWriter in the same order
 * (applyTranscriptOps), so the rows written are the rows an in-thread read writes.
 */
export const Op = { Record: 1, Session: 2, Edit: 3, Settle: 4, Replace: 5, Title: 6, Skip: 7 } as const;
type OpCode = (typeof Op)[keyof typeof Op];

/** A record's values in the writer's column order (session-writer.ts), without source_file_id: the writer adds it last. */
export const RECORD_VALUES = 18;
/** Where pushRecordValues puts the values the writer reads back. */
export const RECORD_AT = { sessionId: 0, recordId: 1, timestamp: 3, toolName: 5 } as const;

/** Appends a record's RECORD_VALUES values to `target`. */
export function pushRecordValues(target: SqlValue[], r: RecordInput): void {
  target.push(
    r.sessionId,
    r.recordId,
    r.kind,
    r.timestamp ?? null,
    r.text ?? null,
    r.toolName ?? null,
    r.toolCallId ?? null,
    r.isError ? 1 : 0,
    r.isSidechain ? 1 : 0,
    r.isMeta ? 1 : 0,
    r.model ?? null,
    r.messageId ?? null,
    r.requestId ?? null,
    r.tokensIn ?? null,
    r.tokensOut ?? null,
    r.tokensCacheRead ?? null,
    r.tokensCacheWrite ?? null,
    r.offset,
  );
}

/** The writer side of the ops: what a SessionWriter does with each. */
export interface OpTarget {
  recordValues(values: readonly unknown[], at: number): void;
  session(info: SessionInfo): void;
  edit(edit: EditInput): void;
  settleEdits(sessionId: string, callId: string, outcome: EditOutcome): void;
  replaceEdits(sessionId: string, callId: string, edits: EditInput[]): void;
  title(leafRecordId: string, title: string): void;
  skip(reason: SkipReason, lineNumber: number, detail?: string): void;
}

/** Hands a list of ops to their writer, in order. */
export function applyTranscriptOps(ops: readonly unknown[], target: OpTarget): void {
  let i = 0;
  while (i < ops.length) {
    const code = ops[i] as OpCode;
    switch (code) {
      case Op.Record:
        target.recordValues(ops, i + 1);
        i += 1 + RECORD_VALUES;
        break;
      case Op.Session:
        target.session(ops[i + 1] as SessionInfo);
        i += 2;
        break;
      case Op.Edit:
        target.edit(ops[i + 1] as EditInput);
        i += 2;
        break;
      case Op.Settle:
        target.settleEdits(ops[i + 1] as string, ops[i + 2] as string, ops[i + 3] as EditOutcome);
        i += 4;
        break;
      case Op.Replace:
        target.replaceEdits(ops[i + 1] as string, ops[i + 2] as string, ops[i + 3] as EditInput[]);
        i += 4;
        break;
      case Op.Title:
        target.title(ops[i + 1] as string, ops[i + 2] as string);
        i += 3;
        break;
      case Op.Skip:
        target.skip(ops[i + 1] as SkipReason, ops[i + 2] as number, (ops[i + 3] as string | null) ?? undefined);
        i += 4;
        break;
      default:
        throw new Error(`transcript thread: unknown op ${String(code)} at ${i}`);
    }
  }
}

/** What the thread's sink must ask the main thread, which holds the database. */
export interface OpQuestions {
  callBelongsElsewhere(sessionId: string, callId: string): boolean;
}

/**
 * The sessions each tool call has had edits of this run, as far as the thread saw (null: more
 * than one), with whether it saw them all. Asking the main thread means waiting until it has
 * written everything sent before (on the 1 GB bench corpus, 2.4 s of the thread's 9 s went to
 * Codex's one question a patch), so the thread answers itself when no edit can exist outside
 * what it saw: none was stored before the run and every file that wrote some was read on the
 * thread. Edits it saw may have been deleted since (a replaced proposal, a file rolled back):
 * it knows more than is stored, never less, so its "no" is the database's, and for a "maybe" it asks.
 */
export class CallSessions {
  private readonly sessions = new Map<string, string | null>();

  constructor(private seenAll: boolean) {}

  /** An edit elsewhere that the thread did not see: it asks from now on. */
  lostSight(): void {
    this.seenAll = false;
  }

  saw(sessionId: string, editId: string): void {
    const call = editId.split('#')[0]!;
    const known = this.sessions.get(call);
    if (known === undefined) this.sessions.set(call, sessionId);
    else if (known !== sessionId) this.sessions.set(call, null);
  }

  /** False when no other session can hold an edit of the call; null when only the database knows. */
  elsewhere(sessionId: string, callId: string): false | null {
    // A call id with `#` is matched by the database's range, not by the split above.
    if (!this.seenAll || callId.includes('#')) return null;
    const known = this.sessions.get(callId);
    return known === undefined || known === sessionId ? false : null;
  }
}

/** What the main thread knows of a file before it is read, sent with it. */
export interface FileKnowledge {
  /** Calls of this file with an edit that no result has settled yet (a superset is safe: see OpSink.awaitsResult). */
  pendingCalls: string[];
  knownSession: { sessionId: string; cwd: string | null } | null;
}

/**
 * The SessionSink of the transcript thread: it writes nothing, it lists. Record ids are looked up
 * in the run's own set (the thread is used only on a first run, when every stored record is one
 * this run saved); the pending calls start from what the main thread knew of the file.
 */
export class OpSink implements SessionSink {
  ops: unknown[] = [];
  /** Ids this file added to the run's set: taken out again if the file fails. */
  readonly fileRecordIds: string[] = [];
  private readonly pendingCalls: Set<string>;

  constructor(
    private readonly recordIds: Set<string>,
    private readonly knowledge: FileKnowledge,
    private readonly questions: OpQuestions,
    private readonly calls: CallSessions,
  ) {
    this.pendingCalls = new Set(knowledge.pendingCalls);
  }

  /** The ops listed since the last take. */
  take(): unknown[] {
    const ops = this.ops;
    this.ops = [];
    return ops;
  }

  session(info: SessionInfo): void {
    this.ops.push(Op.Session, info);
  }

  hasRecord(recordId: string): boolean {
    return this.recordIds.has(recordId);
  }

  record(r: RecordInput): void {
    this.ops.push(Op.Record);
    pushRecordValues(this.ops as SqlValue[], r);
    const known = this.recordIds.size;
    if (this.recordIds.add(r.recordId).size !== known) this.fileRecordIds.push(r.recordId);
  }

  edit(e: EditInput): void {
    if (e.status === 'pending') this.pendingCalls.add(e.editId.split('#')[0]!);
    this.calls.saw(e.sessionId, e.editId);
    this.ops.push(Op.Edit, e);
  }

  /**
   * The main thread's writer keeps the exact set; this one may hold more (a call whose edit an
   * earlier file of the run took over), which only makes a result line read whole, never skimmed
   * wrongly, and settles nothing the writer would not.
   */
  awaitsResult(callId: string): boolean {
    return this.pendingCalls.has(callId);
  }

  settleEdits(sessionId: string, callId: string, outcome: EditOutcome): void {
    if (!this.pendingCalls.has(callId)) return; // the writer would settle nothing either
    this.ops.push(Op.Settle, sessionId, callId, outcome);
  }

  replaceEdits(sessionId: string, callId: string, edits: EditInput[]): void {
    for (const e of edits) {
      if (e.status === 'pending') this.pendingCalls.add(e.editId.split('#')[0]!);
      this.calls.saw(e.sessionId, e.editId);
    }
    this.ops.push(Op.Replace, sessionId, callId, edits);
  }

  callBelongsElsewhere(sessionId: string, callId: string): boolean {
    return this.calls.elsewhere(sessionId, callId) ?? this.questions.callBelongsElsewhere(sessionId, callId);
  }

  knownSession(): { sessionId: string; cwd: string | null } | null {
    return this.knowledge.knownSession;
  }

  title(leafRecordId: string, title: string): void {
    this.ops.push(Op.Title, leafRecordId, title);
  }

  rootForHash(): string | null {
    // Gemini's, a document provider: its files are never read on the thread.
    throw new Error('rootForHash is not available on the transcript thread');
  }

  skip(reason: SkipReason, lineNumber: number, detail?: string): void {
    this.ops.push(Op.Skip, reason, lineNumber, detail ?? null);
  }
}
