import type { EditReplay } from './edit-replay.js';
import { createHash } from 'node:crypto';
import type { Database, SqlValue, Statement } from '../db/driver.js';
import type { PathRepositoryResolver } from '../git/path-repository.js';
import { AIDER_COMMIT } from '../providers/aider.js';
import type { EditInput, EditOutcome, RecordInput, SessionInfo, SessionSink, SkipReason } from '../providers/types.js';
import { type OpTarget, pushRecordValues, RECORD_AT, RECORD_VALUES } from './transcript-ops.js';

/**
 * The record ids this run has saved. The database is asked only about ids not in here, and only
 * when it held records before the run began: a first ingest never looks a record up.
 */
export class SavedRecords {
  readonly ids = new Set<string>();
  constructor(public storedBefore: boolean) {}

  /** From now on the database answers (its record_id index must exist): the ids are let go. */
  askDatabase(): void {
    this.storedBefore = true;
    this.ids.clear();
  }
}

/**
 * The run's knowledge of pending edit rows (proposed, no result yet) in the database, shared by
 * every provider's writer: whether any edit was stored when the run began, and the calls (session
 * and call id) whose pending rows this run wrote unsettled. A result for a call that has neither
 * settles only the edits its own file holds back (SessionWriter.held), with no UPDATE.
 */
export class PendingEdits {
  private readonly written = new Set<string>();
  constructor(readonly storedBefore: boolean) {}

  wrote(sessionId: string, callId: string): void {
    this.written.add(callKey(sessionId, callId));
  }

  /** Whether the database may hold a pending edit of this call. */
  mayHold(sessionId: string, callId: string): boolean {
    return this.storedBefore || this.written.has(callKey(sessionId, callId));
  }
}

const callKey = (sessionId: string, callId: string) => `${sessionId}\0${callId}`;
const callOf = (editId: string) => editId.split('#')[0]!;

/** An edit held back with the repository its path resolved to when it arrived. */
interface HeldEdit {
  edit: EditInput;
  repoId: string | null;
  path: string | null;
}

const RECORD_COLUMNS = 19;
const RECORDS_PER_INSERT = 64;

function insertRecords(rows: number): string {
  const row = `(${Array.from({ length: RECORD_COLUMNS }, () => '?').join(', ')})`;
  return `
    INSERT OR IGNORE INTO fact_session_records
      (session_id, record_id, kind, timestamp, text, tool_name, tool_call_id, is_error, is_sidechain, is_meta,
       model, message_id, request_id, tokens_in, tokens_out, tokens_cache_read, tokens_cache_write, source_offset, source_file_id)
    VALUES ${Array.from({ length: rows }, () => row).join(', ')}`;
}

interface SessionAcc {
  info: Required<Pick<SessionInfo, 'sessionId' | 'nativeId'>> & SessionInfo;
  startedAt: string | null;
  endedAt: string | null;
}

export interface FileCounts {
  records: number;
  edits: number;
  skipped: number;
  lastSkip: string | null;
  skips: Partial<Record<SkipReason, number>>;
}

/**
 * The SessionSink that writes a provider's rows into fact_session_* and metadata_sessions, inside
 * the caller's transaction. Sessions are accumulated per file and written once at `flush`; paths
 * are resolved to repositories as they arrive.
 */
export class SessionWriter implements SessionSink, OpTarget {
  private readonly sessions = new Map<string, SessionAcc>();
  counts: FileCounts = { records: 0, edits: 0, skipped: 0, lastSkip: null, skips: {} };
  private sourcePath = '';
  private sourceFileId = 0;
  private readonly sql;

  constructor(
    private readonly db: Database,
    private readonly provider: string,
    private readonly resolver: PathRepositoryResolver,
    private readonly now: string,
    /** Record ids saved earlier in this run, shared by every provider's writer. */
    private readonly saved: SavedRecords,
    /** What the run knows of pending edit rows (by default: any may be stored). */
    private readonly pendingEdits = new PendingEdits(true),
    /** The edits' replay triggers, when the run puts them off (edit-replay.ts). */
    private readonly editReplay: EditReplay | null = null,
  ) {
    this.sql = {
      hasRecord: db.prepare(`SELECT 1 AS x FROM fact_session_records WHERE record_id = ? LIMIT 1`),
      edit: db.prepare(`
        INSERT INTO fact_session_file_edits
          (session_id, edit_id, record_id, tool_name, abs_path, repo_id, path, status, timestamp,
           added_text, removed_text, text_source, user_modified, source_path)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (session_id, edit_id) DO UPDATE SET
          record_id = excluded.record_id, tool_name = excluded.tool_name, abs_path = excluded.abs_path,
          repo_id = excluded.repo_id, path = excluded.path, status = excluded.status, timestamp = excluded.timestamp,
          added_text = excluded.added_text, removed_text = excluded.removed_text, text_source = excluded.text_source,
          user_modified = excluded.user_modified, source_path = excluded.source_path`),
      // A call's edits are the call's id and its `#n` parts: the range on edit_id lets the key find
      // them (with the OR alone SQLite walked every edit of the session for each result).
      settle: db.prepare(`
        UPDATE fact_session_file_edits SET
          status = @status,
          added_text = coalesce(@added, added_text),
          removed_text = coalesce(@removed, removed_text),
          text_source = CASE WHEN @added IS NULL THEN text_source ELSE 'result' END,
          user_modified = @userModified
        WHERE session_id = @session AND edit_id >= @call AND edit_id < @call || '$' AND status = 'pending'
          AND (edit_id = @call OR edit_id >= @call || '#')`),
      deleteCall: db.prepare(`
        DELETE FROM fact_session_file_edits
        WHERE session_id = @session AND edit_id >= @call AND edit_id < @call || '$'
          AND (edit_id = @call OR edit_id >= @call || '#')`),
      elsewhere: db.prepare(`
        SELECT 1 AS x FROM fact_session_file_edits
        WHERE (edit_id = @call OR (edit_id >= @call || '#' AND edit_id < @call || '$')) AND session_id <> @session LIMIT 1`),
      // Records name their file by the number on its watermark row, made here when the file is new
      // (the row is completed when the read ends, in the same savepoint).
      sourceFileId: db.prepare(`SELECT source_file_id FROM fact_ingest_watermarks WHERE source_path = ?`),
      numberSourceFile: db.prepare(`
        INSERT INTO fact_ingest_watermarks (source_path, provider, size, mtime_ms, byte_offset, updated_at, source_file_id)
        VALUES (@path, @provider, 0, 0, 0, @now, (SELECT coalesce(max(source_file_id), 0) + 1 FROM fact_ingest_watermarks))
        ON CONFLICT (source_path) DO UPDATE SET source_file_id = excluded.source_file_id
        RETURNING source_file_id`),
      known: db.prepare(`SELECT session_id, cwd FROM metadata_sessions WHERE source_path = ? LIMIT 1`),
      pendingOfFile: db.prepare(`SELECT edit_id FROM fact_session_file_edits WHERE source_path = ? AND status = 'pending'`),
      session: db.prepare(`
        INSERT INTO metadata_sessions
          (session_id, provider, native_id, parent_session_id, model, repo_id, cwd, git_branch, started_at, ended_at,
           session_kind, client_version, source_path)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (session_id) DO UPDATE SET
          parent_session_id = coalesce(metadata_sessions.parent_session_id, excluded.parent_session_id),
          model = coalesce(excluded.model, metadata_sessions.model),
          repo_id = coalesce(metadata_sessions.repo_id, excluded.repo_id),
          cwd = coalesce(metadata_sessions.cwd, excluded.cwd),
          git_branch = coalesce(excluded.git_branch, metadata_sessions.git_branch),
          started_at = CASE WHEN metadata_sessions.started_at IS NULL OR excluded.started_at < metadata_sessions.started_at
                            THEN excluded.started_at ELSE metadata_sessions.started_at END,
          ended_at = CASE WHEN metadata_sessions.ended_at IS NULL OR excluded.ended_at > metadata_sessions.ended_at
                          THEN excluded.ended_at ELSE metadata_sessions.ended_at END,
          session_kind = excluded.session_kind,
          client_version = coalesce(excluded.client_version, metadata_sessions.client_version)`),
      repository: db.prepare(`
        INSERT OR IGNORE INTO metadata_repositories (repo_id, root_path, first_seen_at) VALUES (?, ?, ?)`),
      // What sql/011's trigger asks for as an edit is written, while the run has it off (edit-replay.ts).
      editReplay: db.prepare(`
        INSERT OR IGNORE INTO paceflow_attribution_from (repo_id, at) VALUES (?, coalesce(unixepoch(?), 1) - 1)`),
      // An aider commit record: the commits from a second before it are attributed again (the
      // commit it names becomes its session's work). sql/011 did this with a trigger on every
      // record insert, which cost ~1 µs a row whether or not the row was aider's (0.4 s of a 1 GB
      // first ingest); sql/022 dropped it for this statement, run for the aider rows written.
      aiderCommitFrom: db.prepare(`
        INSERT OR IGNORE INTO paceflow_attribution_from (repo_id, at)
        SELECT s.repo_id, coalesce(unixepoch(?), 1) - 1 FROM metadata_sessions s
        WHERE s.session_id = ? AND s.repo_id IS NOT NULL`),
      // Saved with the file's rows; applied once every file of the run is read (applyOwedTitles).
      title: db.prepare(`INSERT INTO paceflow_owed_titles (leaf_record_id, title) VALUES (?, ?)`),
    };
  }

  /**
   * Repositories whose row this writer has put in the database this run (INSERT OR IGNORE): every
   * edit and session names one, and asking again cost a statement each — 30k on the 80k bench
   * history's first read, all but one inserting nothing. Forgotten when a file's rows roll back
   * (the row may have gone with them); a failed batch ends the run, and the writer with it.
   */
  private readonly repositoriesWritten = new Set<string>();

  private ensureRepository(repoId: string, mainRoot: string): void {
    const key = `${repoId}\0${mainRoot}`;
    if (this.repositoriesWritten.has(key)) return;
    this.sql.repository.run([repoId, mainRoot, this.now]);
    this.repositoriesWritten.add(key);
  }

  /** Calls with a pending edit (proposed, no result yet): only their results need an UPDATE. */
  private pendingCalls = new Set<string>();

  /**
   * The current file's pending edits, by session and call, not written yet: a result later in the
   * file is folded into them and each is written once, settled. An edit was written pending and
   * then updated by its result — two writes of the row and two runs of the attribution triggers,
   * for nearly every edit of a Claude Code transcript (the 80k bench history's first run: 27,141
   * UPDATEs, ~0.8–1.0 s). Written as they are when the file ends, and before anything asks
   * the database about a call's edits (replaceEdits, callBelongsElsewhere); dropped with the file's
   * rows when they roll back.
   */
  private held = new Map<string, HeldEdit[]>();

  /** Record ids the current file added to `saved`: taken out again if its rows are rolled back. */
  private fileRecordIds: string[] = [];

  /** Starts a new file: counts reset, sessions of the previous file must have been flushed. */
  beginFile(sourcePath: string): void {
    this.sourcePath = sourcePath;
    this.sourceFileId =
      this.sql.sourceFileId.get<{ source_file_id: number | null }>([sourcePath])?.source_file_id ??
      this.sql.numberSourceFile.get<{ source_file_id: number }>({ path: sourcePath, provider: this.provider, now: this.now })!
        .source_file_id;
    this.counts = { records: 0, edits: 0, skipped: 0, lastSkip: null, skips: {} };
    this.pendingCalls = new Set(this.pendingCallsOf(sourcePath));
    this.held.clear();
  }

  /** The calls of a file's edits that wait for a result. */
  pendingCallsOf(sourcePath: string): string[] {
    return this.sql.pendingOfFile.all<{ edit_id: string }>([sourcePath]).map((r) => callOf(r.edit_id));
  }

  session(info: SessionInfo): void {
    let acc = this.sessions.get(info.sessionId);
    if (!acc) {
      acc = { info: { ...info }, startedAt: null, endedAt: null };
      this.sessions.set(info.sessionId, acc);
    } else {
      const merged = acc.info;
      if (info.cwd && !merged.cwd) merged.cwd = info.cwd;
      if (info.gitBranch) merged.gitBranch = info.gitBranch;
      if (info.model) merged.model = info.model;
      if (info.clientVersion) merged.clientVersion = info.clientVersion;
      if (info.parentSessionId && !merged.parentSessionId) merged.parentSessionId = info.parentSessionId;
      if (info.kind && info.kind !== 'main') merged.kind = info.kind;
    }
    const t = info.timestamp;
    if (t) {
      if (!acc.startedAt || t < acc.startedAt) acc.startedAt = t;
      if (!acc.endedAt || t > acc.endedAt) acc.endedAt = t;
    }
  }

  hasRecord(recordId: string): boolean {
    if (this.saved.ids.has(recordId)) return true;
    return this.saved.storedBefore && this.sql.hasRecord.get([recordId]) !== undefined;
  }

  record(r: RecordInput): void {
    pushRecordValues(this.pendingRecords, r);
    this.recordPushed(r.sessionId, r.recordId, r.toolName ?? null, r.timestamp ?? null);
  }

  /** A record as the transcript thread lists it: RECORD_VALUES values of `values` from `at`. */
  recordValues(values: readonly unknown[], at: number): void {
    const rows = this.pendingRecords;
    for (let i = at; i < at + RECORD_VALUES; i++) rows.push(values[i] as SqlValue);
    this.recordPushed(
      values[at + RECORD_AT.sessionId] as string,
      values[at + RECORD_AT.recordId] as string,
      values[at + RECORD_AT.toolName] as string | null,
      values[at + RECORD_AT.timestamp] as string | null,
    );
  }

  /** After a record's values: its source file (the last column), then the batch and id bookkeeping. */
  private recordPushed(sessionId: string, recordId: string, toolName: string | null, timestamp: string | null): void {
    const rows = this.pendingRecords;
    rows.push(this.sourceFileId);
    if (toolName === AIDER_COMMIT) this.pendingAiderCommits.push([timestamp, sessionId]);
    if (rows.length === RECORD_COLUMNS * RECORDS_PER_INSERT) this.writeRecords();
    const known = this.saved.ids.size;
    if (this.saved.ids.add(recordId).size !== known) this.fileRecordIds.push(recordId);
  }

  /**
   * Records wait here and go in up to RECORDS_PER_INSERT rows per INSERT: one statement step per
   * row was most of the per-record cost. Nothing reads them back before the file ends (copies are
   * found in `saved`, which holds every id of this run), and `flush` writes the rest.
   */
  private pendingRecords: SqlValue[] = [];

  /** The aider commit records among them (timestamp, session): see `aiderCommitFrom`. */
  private pendingAiderCommits: [string | null, string][] = [];

  /** INSERT statements for 64, 32, …, 1 rows: a file's last rows take at most six statements. */
  private readonly insertRecords = new Map<number, Statement>();

  private writeRecords(): void {
    const values = this.pendingRecords;
    let rows = values.length / RECORD_COLUMNS;
    let at = 0;
    while (rows > 0) {
      const size = Math.min(RECORDS_PER_INSERT, 2 ** Math.floor(Math.log2(rows)));
      let insert = this.insertRecords.get(size);
      if (!insert) {
        insert = this.db.prepare(insertRecords(size));
        this.insertRecords.set(size, insert);
      }
      const end = at + size * RECORD_COLUMNS;
      this.counts.records += insert.run(at === 0 && end === values.length ? values : values.slice(at, end)).changes;
      at = end;
      rows -= size;
    }
    this.pendingRecords = [];
    // After the rows, as the trigger ran: the session row it reads is the one stored by now.
    for (const commit of this.pendingAiderCommits) this.sql.aiderCommitFrom.run(commit);
    this.pendingAiderCommits = [];
  }

  edit(e: EditInput): void {
    const resolved = this.resolver.resolve(e.absPath);
    if (resolved) this.ensureRepository(resolved.repoId, resolved.mainRoot);
    const held: HeldEdit = { edit: e, repoId: resolved?.repoId ?? null, path: resolved?.path ?? null };
    const call = callOf(e.editId);
    const key = callKey(e.sessionId, call);
    // A later edit with the same id replaces a held one, as its row would replace the row.
    const waiting = this.held.get(key)?.filter((h) => h.edit.editId !== e.editId);
    if (waiting && waiting.length > 0) this.held.set(key, waiting);
    else this.held.delete(key);
    if (e.status === 'pending') {
      this.pendingCalls.add(call);
      this.held.set(key, [...(waiting ?? []), held]);
    } else this.writeEdit(held);
    this.counts.edits++;
  }

  private writeEdit({ edit: e, repoId, path }: HeldEdit): void {
    this.sql.edit.run([
      e.sessionId,
      e.editId,
      e.recordId ?? null,
      e.toolName,
      e.absPath,
      repoId,
      path,
      e.status,
      e.timestamp ?? null,
      e.addedText ?? null,
      e.removedText ?? null,
      e.textSource,
      e.userModified ? 1 : 0,
      this.sourcePath,
    ]);
    if (this.editReplay?.off && repoId !== null && e.timestamp != null) this.sql.editReplay.run([repoId, e.timestamp]);
  }

  /** Writes the held edits pending, as they arrived: the database now holds them. */
  private writeHeld(): void {
    for (const edits of this.held.values()) {
      for (const h of edits) this.writeEdit(h);
      this.pendingEdits.wrote(edits[0]!.edit.sessionId, callOf(edits[0]!.edit.editId));
    }
    this.held.clear();
  }

  awaitsResult(callId: string): boolean {
    return this.pendingCalls.has(callId);
  }

  settleEdits(sessionId: string, callId: string, outcome: EditOutcome): void {
    if (!this.pendingCalls.has(callId)) return; // most tool results settle no edit
    const key = callKey(sessionId, callId);
    // What the UPDATE below would make of each held edit, written once.
    for (const { edit: e, repoId, path } of this.held.get(key) ?? []) {
      this.writeEdit({
        edit: {
          ...e,
          status: outcome.status,
          addedText: outcome.addedText ?? e.addedText ?? null,
          removedText: outcome.removedText ?? e.removedText ?? null,
          textSource: outcome.addedText == null ? e.textSource : 'result',
          userModified: outcome.userModified === true,
        },
        repoId,
        path,
      });
    }
    this.held.delete(key);
    // The pending rows the database may hold: stored by an earlier run or file of this run.
    if (!this.pendingEdits.mayHold(sessionId, callId)) return;
    this.sql.settle.run({
      status: outcome.status,
      added: outcome.addedText ?? null,
      removed: outcome.removedText ?? null,
      userModified: outcome.userModified ? 1 : 0,
      session: sessionId,
      call: callId,
    });
  }

  replaceEdits(sessionId: string, callId: string, edits: EditInput[]): void {
    this.writeHeld();
    // The proposals this replaces were counted when they arrived in this read.
    const { changes } = this.sql.deleteCall.run({ session: sessionId, call: callId });
    this.counts.edits = Math.max(0, this.counts.edits - changes);
    for (const edit of edits) this.edit(edit);
  }

  callBelongsElsewhere(sessionId: string, callId: string): boolean {
    this.writeHeld();
    return this.sql.elsewhere.get({ call: callId, session: sessionId }) !== undefined;
  }

  knownSession(sourcePath: string): { sessionId: string; cwd: string | null } | null {
    const row = this.sql.known.get<{ session_id: string; cwd: string | null }>([sourcePath]);
    return row ? { sessionId: row.session_id, cwd: row.cwd } : null;
  }

  private rootsByHash: Map<string, string> | null = null;

  rootForHash(sha256Hex: string): string | null {
    if (!this.rootsByHash) {
      this.rootsByHash = new Map();
      for (const { root_path } of this.db.prepare(`SELECT root_path FROM metadata_repositories`).all<{ root_path: string }>()) {
        this.rootsByHash.set(createHash('sha256').update(root_path).digest('hex'), root_path);
      }
    }
    return this.rootsByHash.get(sha256Hex.toLowerCase()) ?? null;
  }

  title(leafRecordId: string, title: string): void {
    this.sql.title.run([leafRecordId, title]);
  }

  skip(reason: SkipReason, lineNumber: number, detail?: string): void {
    this.counts.skipped++;
    this.counts.skips[reason] = (this.counts.skips[reason] ?? 0) + 1;
    this.counts.lastSkip = `${reason} at line ${lineNumber}${detail ? ` (${detail})` : ''}`;
  }

  /** Writes the sessions this file declared; returns their ids. */
  flush(): string[] {
    this.writeHeld();
    this.writeRecords();
    const ids: string[] = [];
    for (const { info, startedAt, endedAt } of this.sessions.values()) {
      const resolved = this.resolver.resolve(info.cwd);
      if (resolved) this.ensureRepository(resolved.repoId, resolved.mainRoot);
      this.sql.session.run([
        info.sessionId,
        this.provider,
        info.nativeId,
        info.parentSessionId ?? null,
        info.model ?? null,
        resolved?.repoId ?? null,
        info.cwd ?? null,
        info.gitBranch ?? null,
        startedAt,
        endedAt,
        info.kind ?? 'main',
        info.clientVersion ?? null,
        this.sourcePath,
      ]);
      ids.push(info.sessionId);
    }
    this.sessions.clear();
    return ids;
  }

  /** The current file's rows are kept (its savepoint released); returns the record ids it saved first. */
  fileSaved(): string[] {
    const ids = this.fileRecordIds;
    this.fileRecordIds = [];
    return ids;
  }

  /** The current file's rows were rolled back: its record ids are not saved after all. */
  fileRolledBack(): void {
    this.repositoriesWritten.clear();
    this.held.clear();
    this.pendingRecords = [];
    this.pendingAiderCommits = [];
    for (const id of this.fileRecordIds) this.saved.ids.delete(id);
    this.fileRecordIds = [];
  }
}

/**
 * Titles point at a record that may sit in another file: applied, in the order they were read,
 * after every file of the run is read, then forgotten (one that names no record is dropped).
 * A run killed before this leaves them owed; the next run applies them.
 */
export function applyOwedTitles(db: Database): void {
  const apply = db.prepare(`
    UPDATE metadata_sessions SET title = @title
    WHERE session_id = (SELECT session_id FROM fact_session_records WHERE record_id = @leaf LIMIT 1)`);
  const owed = db
    .prepare(`SELECT leaf_record_id AS leaf, title FROM paceflow_owed_titles ORDER BY rowid`)
    .all<{ leaf: string; title: string }>();
  if (owed.length === 0) return; // a re-run with nothing new writes nothing
  db.transaction(() => {
    for (const t of owed) apply.run({ title: t.title, leaf: t.leaf });
    db.exec(`DELETE FROM paceflow_owed_titles`);
  });
}
