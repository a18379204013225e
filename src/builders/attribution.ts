import type { PaceflowConfig } from '../config/config.js';
import { crashPoint } from '../crash-point.js';
import { collectIfGrown } from '../heap.js';
import type { Database } from '../db/driver.js';
import { attributableCommits, repositoryRows } from '../db/count.js';
import type { CommitPatch, FilePatch } from '../git/patches.js';
import { keepPatchIds } from './patch-ids.js';
import { type AttributionCommit, AttributionCommits } from './attribution-commits.js';
import { AttributionStage } from './attribution-stage.js';
import { GIT_AI_NOTES_REF, PACEFLOW_NOTES_REF } from '../git/notes.js';
import { isNontrivialLine, normalizeLine, normalLineHash, textLines } from './lines.js';
import { NORMAL_LINE_KEY } from './line-keys.js';
import {
  commitsWithTakingsFrom,
  dropUnreachableTakings,
  isoSeconds,
  replayDone,
  replayFrom,
  replayFromAt,
  saveTakings,
  storedTakings,
  indexesAfterFirstReplay,
  type Taking,
} from './attribution-replay.js';
import { composeNote, parseGitAiNote, parseNote, type SessionWork } from './notes.js';
import { allEvidenceChanged, evidenceChanged } from './evidence-changes.js';
import { type PatchStore, readPatches } from '../git/patch-store.js';
import { forEachCountedLine, summaryOf } from '../git/record-patches.js';

/** Commit markers name assistants ('claude'); attributions use the provider keys of src/providers. */
export function attributionProvider(marker: string): string {
  return marker === 'claude' ? 'claude-code' : marker;
}

type NoteCredit = { provider: string; model: string | null; session: string; lines: number };

/**
 * The notes of the repository's commits, read by commit as attribution asks (a run after one
 * commit reads that commit's notes, not every note); `shas()` lists every commit with one (a whole
 * replay reads them all).
 */
function loadNoteCredits(db: Database, repoId: string) {
  const byCommit = db.prepare(`SELECT notes_ref, note_text FROM fact_commit_notes WHERE repo_id = ? AND sha = ?`);
  const cache = new Map<string, { paceflow?: { text: string; credits: NoteCredit[] }; gitAi?: NoteCredit[] }>();
  // A repository without a note (most, and every run with --no-notes) asks nothing per commit: a
  // first replay asked 57k times for none on the 80k bench history (~0.15 s), and kept an entry each.
  const none = db.prepare(`SELECT 1 AS x FROM fact_commit_notes WHERE repo_id = ? LIMIT 1`).get([repoId]) === undefined;
  const of = (sha: string) => {
    if (none) return {};
    let entry = cache.get(sha);
    if (!entry) {
      entry = {};
      for (const row of byCommit.all<{ notes_ref: string; note_text: string }>([repoId, sha])) {
        if (row.notes_ref === PACEFLOW_NOTES_REF) {
          const note = parseNote(row.note_text);
          if (note) entry.paceflow = { text: row.note_text, credits: note.attributions };
        } else if (row.notes_ref === GIT_AI_NOTES_REF) {
          const credits = parseGitAiNote(row.note_text);
          if (credits && credits.length > 0) entry.gitAi = credits;
        }
      }
      cache.set(sha, entry);
    }
    return entry;
  };
  return {
    paceflow: { get: (sha: string) => of(sha).paceflow },
    gitAi: { get: (sha: string) => of(sha).gitAi },
    shas: () =>
      db
        .prepare(`SELECT DISTINCT sha FROM fact_commit_notes WHERE repo_id = ?`)
        .all<{ sha: string }>([repoId])
        .map((r) => r.sha),
  };
}

/**
 * The attribution builder (DESIGN §4): each non-trivial added line of a commit is matched, by its
 * normalized text and repo-relative path (the old path of a rename too), against the lines that
 * applied edits of sessions in the same repository wrote before the commit. Every written line
 * instance is consumed once, commits in order; when several writes qualify, the latest one before
 * the commit wins. Hash lookups only: no pairwise comparison of commits and edits.
 */

/** One edit's write: what every line it wrote shares. */
interface Write {
  at: number;
  sessionId: string;
  provider: string;
  model: string | null;
  /** The edit that wrote the line, and its tool (for show). */
  editId: string;
  toolName: string;
  /** The key of its credit (LineMatch.credits): provider and session. */
  creditKey: string;
  /**
   * The edit's key, its own session and edit id, NUL between: writes of the same time are ordered
   * by it (a MultiEdit's parts share their record's time), whatever order the table gives its rows.
   */
  key: string;
}

export type LineVerdict =
  | { kind: 'ai'; sessionId: string; provider: string; model: string | null; writtenAt: string; editId: string; toolName: string }
  | { kind: 'trivial' }
  | { kind: 'no-session' }
  | { kind: 'edited'; note: string };

export interface LineExplanation {
  path: string;
  text: string;
  verdict: LineVerdict;
}

/**
 * Written lines of a repository, by path and normal line (its normalLineHash), each text's lines
 * sorted by time. A first run holds every line sessions wrote (~480k on the 80k bench history), so
 * a line is a number, not an object: an index into `lineWrite` (its edit's write, shared) and
 * `used` (whether a commit took it). A text written once (most are) maps to its one number; written
 * again, to a list. Keyed by the hash, not a copy of the normal line (the 80k bench history's first
 * run peaked here, its live set ~95 MB: node's peak 280 → 249 MB with the hash; #20's 300 MB), and
 * a commit's line is looked up without normalizing it into a new string. Two different lines share a hash with odds
 * near 2⁻⁵³ (docs/rules.md).
 */
export class WrittenLines {
  private readonly byPath = new Map<string, Map<number, number | number[]>>();
  private readonly writes: Write[] = [];
  private lineWrite = new Uint32Array(1024);
  private used = new Uint8Array(1024);
  private lines = 0;

  add(path: string, text: string, write: Write): void {
    if (!isNontrivialLine(text)) return;
    let lines = this.byPath.get(path);
    if (!lines) {
      lines = new Map();
      this.byPath.set(path, lines);
    }
    const line = this.newLine(write);
    const key = normalLineHash(text);
    const entry = lines.get(key);
    if (entry === undefined) lines.set(key, line);
    else if (typeof entry === 'number') lines.set(key, [entry, line]);
    else entry.push(line);
  }

  /** A new line of this write (the writes of one edit come together: its lines share the last one). */
  private newLine(write: Write): number {
    if (this.writes[this.writes.length - 1] !== write) this.writes.push(write);
    if (this.lines === this.lineWrite.length) {
      const lineWrite = new Uint32Array(this.lines * 2);
      lineWrite.set(this.lineWrite);
      this.lineWrite = lineWrite;
      const used = new Uint8Array(this.lines * 2);
      used.set(this.used);
      this.used = used;
    }
    this.lineWrite[this.lines] = this.writes.length - 1;
    return this.lines++;
  }

  private writeOf(line: number): Write {
    return this.writes[this.lineWrite[line]!]!;
  }

  /**
   * Each text's writes in time order, writes of the same time in their edits' key order (the
   * table's key, (session_id, edit_id), as the rows came when the table was clustered on it: they
   * come in the order they were written now, sql/030). JavaScript's string order (UTF-16 code
   * units) is SQLite's byte order for every id the providers make (uuids, tool call ids, hashes);
   * for an id with a character past U+FFFF the two may differ, and this order, fixed whatever the
   * rows' arrival, is the one that holds. The lines of one edit keep their order.
   */
  sort(): void {
    const byTimeThenKey = (a: number, b: number) => {
      const wa = this.writeOf(a);
      const wb = this.writeOf(b);
      return wa.at - wb.at || (wa.key === wb.key ? 0 : wa.key < wb.key ? -1 : 1);
    };
    for (const lines of this.byPath.values()) {
      for (const entry of lines.values()) if (typeof entry !== 'number') entry.sort(byTimeThenKey);
    }
  }

  hasPath(path: string): boolean {
    return this.byPath.has(path);
  }

  /**
   * Consumes the latest unused write of this line before `at` (commit times have whole seconds), on
   * the first path that has one; returns it and the path it was written to.
   */
  take(paths: readonly string[], text: string, at: number): { write: Write; path: string } | null {
    // Hashed only for a path some session wrote: most lines of most commits are on none.
    for (const path of paths) if (this.byPath.has(path)) return this.takeKey(paths, normalLineHash(text), at);
    return null;
  }

  /** take, for a line by its normalLineHash. */
  takeKey(paths: readonly string[], key: number, at: number): { write: Write; path: string } | null {
    for (const path of paths) {
      const lines = this.byPath.get(path);
      if (!lines) continue;
      const entry = lines.get(key);
      if (entry === undefined) continue;
      if (typeof entry === 'number') {
        if (this.takeLine(entry, at)) return { write: this.writeOf(entry), path };
        continue;
      }
      for (let i = entry.length - 1; i >= 0; i--) {
        if (this.takeLine(entry[i]!, at)) return { write: this.writeOf(entry[i]!), path };
      }
    }
    return null;
  }

  private takeLine(line: number, at: number): boolean {
    if (this.used[line] === 1 || this.writeOf(line).at > at + 999) return false;
    this.used[line] = 1;
    return true;
  }

  /** Marks `n` writes of this edit, path and normalized line as taken already (by a commit not replayed). */
  markUsed(editId: string, path: string, line: string, n: number): void {
    const entry = this.byPath.get(path)?.get(normalLineHash(line));
    if (entry === undefined) return;
    let left = n;
    for (const l of typeof entry === 'number' ? [entry] : entry) {
      if (left === 0) break;
      if (this.writeOf(l).editId === editId && this.used[l] === 0) {
        this.used[l] = 1;
        left--;
      }
    }
  }
}

interface EditRow {
  session_id: string;
  root_session_id: string;
  provider: string;
  model: string | null;
  path: string;
  timestamp: string | null;
  added_text: string | null;
  removed_text: string | null;
  edit_id: string;
  tool_name: string;
}

/** How far up a chain of sub-agents the root is looked for: past it, a chain is taken for a cycle. */
const MAX_SUBAGENT_DEPTH = 10_000;

/** The written lines of the repository's sessions (`paths`: only writes to these paths). */
export function loadWrittenLines(db: Database, repoId: string, paths: readonly string[] | null = null): WrittenLines {
  if (paths !== null) stagePaths(db, paths);
  const through = readEditsThrough(db, repoId, paths, true);
  const from = `fact_session_file_edits e${through || paths === null ? '' : ' INDEXED BY fact_session_file_edits_by_path'}`;
  // A unary + keeps SQLite from using an index for the term: read through, no term picks one.
  const noIndex = through ? '+' : '';
  const where = `${noIndex}e.repo_id = @repo AND ${noIndex}e.status = 'applied' AND e.path IS NOT NULL AND e.timestamp IS NOT NULL${
    paths === null ? '' : ` AND ${noIndex}e.path IN (SELECT path FROM temp.paceflow_write_paths)`
  }`;
  const rows = db
    .prepare(
      // A sub-agent's lines are credited to the session a person had: its root, found by walking up
      // from each session that wrote here while the session is a sub-agent with a parent. The walk
      // ends at a session that is no sub-agent or has no parent (the root), at a parent not stored
      // or one of no known kind (no root: the session is its own), or — a cycle — at the step
      // limit (no root either). Walked from the writing sessions up, not from every session down:
      // the one path of a commit's session is a few rows, where every session of the database
      // (3,050 on the 80k bench history) took ~20 ms of the hooks' worker after every such commit.
      `WITH RECURSIVE up(session_id, at_id, steps) AS (
         ${paths === null ? 'SELECT session_id, session_id, 0 FROM metadata_sessions' : `SELECT DISTINCT e.session_id, e.session_id, 0 FROM ${from} WHERE ${where}`}
         UNION ALL
         SELECT u.session_id, s.parent_session_id, u.steps + 1 FROM up u JOIN metadata_sessions s ON s.session_id = u.at_id
         WHERE s.session_kind = 'subagent' AND s.parent_session_id IS NOT NULL AND u.steps < ${MAX_SUBAGENT_DEPTH}
       ),
       roots(session_id, root_id) AS (
         SELECT t.session_id, CASE WHEN b.session_id IS NULL THEN t.session_id ELSE t.at_id END
         -- The farthest session each walk reached (SQLite takes a bare column from max()'s row).
         FROM (SELECT session_id, at_id, max(steps) FROM up GROUP BY session_id) t
         LEFT JOIN metadata_sessions b ON b.session_id = t.at_id AND (b.session_kind <> 'subagent' OR b.parent_session_id IS NULL)
       )
       SELECT e.session_id, coalesce(r.root_id, e.session_id) AS root_session_id, s.provider, s.model, e.path, e.timestamp, e.added_text, e.removed_text, e.edit_id, e.tool_name
       FROM ${from}
       JOIN metadata_sessions s ON s.session_id = e.session_id
       LEFT JOIN roots r ON r.session_id = e.session_id
       WHERE ${where}`,
    )
    // Row by row: the edits' texts (~60 MB on the 80k bench history) are never all held at once.
    .iterate<EditRow>({ repo: repoId });
  const written = new WrittenLines();
  for (const row of rows) {
    const at = Date.parse(row.timestamp!);
    if (Number.isNaN(at)) continue;
    // Sub-agents' lines are credited to the session a person had.
    const write: Write = {
      at,
      sessionId: row.root_session_id,
      provider: row.provider,
      model: row.model,
      editId: row.edit_id,
      toolName: row.tool_name,
      creditKey: `${row.provider}\0${row.root_session_id}`,
      key: `${row.session_id}\0${row.edit_id}`,
    };
    for (const line of writtenLines(row.added_text, row.removed_text)) written.add(row.path, line, write);
  }
  written.sort();
  return written;
}

/**
 * Whether the edits loadWrittenLines reads are better read by going through the table in its key
 * order than looked up one by one from the path index: the table's rows carry the edits' texts
 * (overflow pages), and each lookup descends its b-tree again. On the 80k bench history's first
 * run (27,141 edits, all of them wanted) the lookups took ~400 ms, the table read through ~60 ms:
 * through, once the edits wanted are a quarter of the table's or more. A few paths (the hooks'
 * worker after a commit) are looked up without counting.
 */
export function readEditsThrough(db: Database, repoId: string, paths: readonly string[] | null, staged = false): boolean {
  if (paths !== null && paths.length < FEW_PATHS) return false;
  if (paths !== null && !staged) stagePaths(db, paths);
  const wanted = db
    .prepare(
      `SELECT count(*) AS n FROM fact_session_file_edits e INDEXED BY fact_session_file_edits_by_path
       WHERE e.repo_id = ? AND e.status = 'applied'${paths === null ? '' : ' AND e.path IN (SELECT path FROM temp.paceflow_write_paths)'}`,
    )
    .get<{ n: number }>([repoId])!.n;
  // Counted from the smallest index that covers the table (SQLite picks it).
  const all = db.prepare(`SELECT count(*) AS n FROM fact_session_file_edits`).get<{ n: number }>()!.n;
  return wanted > 0 && wanted * 4 >= all;
}

const FEW_PATHS = 100;

/** The paths loadWrittenLines reads the writes of, in a temporary table its statements join. */
function stagePaths(db: Database, paths: readonly string[]): void {
  db.exec(`CREATE TEMP TABLE IF NOT EXISTS paceflow_write_paths (path TEXT PRIMARY KEY)`);
  db.exec(`DELETE FROM temp.paceflow_write_paths`);
  const add = db.prepare(`INSERT OR IGNORE INTO temp.paceflow_write_paths (path) VALUES (?)`);
  db.transaction(() => {
    for (const path of paths) add.run([path]);
  });
}

/**
 * The lines an edit wrote (DESIGN §4, "moves are not writes"): its added lines less those it also
 * removed with the same normalized text (a block moved within the file, or an edit that re-sends
 * unchanged lines), each removed line cancelling one added line.
 */
export function writtenLines(addedText: string | null, removedText: string | null): string[] {
  const removed = new Map<number, number>();
  for (const line of textLines(removedText)) {
    const key = normalLineHash(line);
    removed.set(key, (removed.get(key) ?? 0) + 1);
  }
  if (removed.size === 0) return textLines(addedText);
  return textLines(addedText).filter((line) => {
    const key = normalLineHash(line);
    const n = removed.get(key) ?? 0;
    if (n === 0) return true;
    removed.set(key, n - 1);
    return false;
  });
}

export interface AttributionResult {
  commits: number;
  patchesRead: number;
  attributed: number;
  /** Notes that transcript attribution says commits should carry, where they differ from the stored one. */
  notesToWrite: { sha: string; text: string }[];
}

/**
 * An attribution batch: the commits one transaction writes, read ahead and held in memory. Each
 * transaction writes every page its rows touched again — the outcome rows and their indexes are
 * keyed by sha, so a batch's rows touch pages all over them — and larger batches touch each page
 * fewer times, but hold more diffs. Git's own history's first attribution: 281k write calls
 * (612 MB) in batches of 500, 216k (467 MB) of 1,000, 149k (320 MB) of 2,000 — and the run's peak
 * 264–290, 285–300 and 295 MB (the #20 budget is 300 MB): 500 it stays. The lines bound a batch
 * of large diffs (a vendored import), which the count alone did not.
 */
const BATCH_COMMITS = 500;
const BATCH_LINES = 250_000;

/**
 * Rebuilds the attribution of a repository's commits: event_commit_attributions (transcript and
 * trailer sources) and the attribution columns of event_commit_outcomes. Patches are read only for
 * commits without an outcome yet and for commits that touch a path some session wrote.
 */
export interface AttributionOptions {
  db: Database;
  repoId: string;
  cwd: string;
  config: Pick<PaceflowConfig, 'heavyAiThreshold' | 'heavyAiMinLines'>;
  onExplain?: (sha: string, lines: LineExplanation[]) => void;
  only?: string;
  /** Compute without writing anything (explanations, line lists for reports). */
  readOnly?: boolean;
  /** Called with the paceflow note each transcript-attributed commit should carry (`tool` names the writer). */
  tool?: string;
  /** Where the diffs read are kept for the builders after this one (churn, the outcome rules). */
  patches?: PatchStore;
  /**
   * Only lines in these paths count (a pathspec-scoped report): commits with no file in scope get
   * no outcome row, and a note's counts, which are per commit, shrink to the in-scope share.
   */
  pathScope?: ReadonlySet<string>;
}

export async function buildAttribution(options: AttributionOptions): Promise<AttributionResult> {
  const { db, repoId } = options;
  const writing = !options.only && !options.readOnly;
  if (writing) {
    // Rewritten history no longer counts (its copies do); the writes it took are free again from
    // its time on.
    db.transaction(() => {
      for (const table of ['event_commit_attributions', 'event_commit_outcomes']) {
        db.prepare(
          `DELETE FROM ${table} WHERE repo_id = ? AND sha IN (SELECT sha FROM metadata_commits WHERE repo_id = ? AND is_unreachable = 1)`,
        ).run([repoId, repoId]);
      }
      const gone = dropUnreachableTakings(db, repoId);
      if (gone) replayFromAt(db, repoId, Math.floor(Date.parse(gone) / 1000));
      // Before any row is written: the rows this run writes compute their flags with today's
      // thresholds, so the rows already stored must have them too (all updated when they changed).
      writeOutcomeShares(db, repoId, options.config);
    });
  }
  // Replay from the earliest change; a whole replay (a first run, a pathspec-scoped copy, release
  // figures) reads every commit that touches a path some session wrote.
  const from = writing ? replayFrom(db, repoId) : null;
  const whole = options.readOnly === true || (from !== null && from <= 0);
  const notes = loadNoteCredits(db, repoId);
  const { commits, toRead, allQueued } = commitsToRead(db, repoId, options, notes, whole ? 'whole' : from);
  const rowsWritten = writing ? indexesAfterFirstReplay(db, toRead.size > BATCH_COMMITS) : () => {};
  // A first replay of many commits holds its rows keyed by commit until it ends (its commits
  // leave the queue then: from !== null).
  const stage = writing && from !== null ? AttributionStage.forFirstReplay(db, repoId, toRead.size > BATCH_COMMITS) : undefined;
  try {
    // Nothing to read (the common run: nothing new, or a commit off every written path): no writes loaded.
    const run =
      toRead.size === 0
        ? new AttributionRun(options, new WrittenLines(), notes, [])
        : new AttributionRun(
            options,
            writtenBefore(db, repoId, toRead, whole, options.only, allQueued),
            notes,
            loadAiderCommits(db, repoId),
            from !== null,
            stage,
          );
    // 1 while a commit's diff is not read (by its place in toRead).
    const unread = new Uint8Array(toRead.size).fill(1);
    const batch: { patch: CommitPatch; commit: AttributionCommit }[] = [];
    let batchLines = 0;
    const flush = () => {
      db.transaction(() => {
        const attributeAll = () => {
          for (const { patch, commit } of batch) run.attribute(patch, commit);
        };
        // The rows carry their shares and flags as written (AttributionRun's statements): what is
        // left of the batch is telling the outcome build when a mainline commit's heavy-AI evidence moved.
        if (writing)
          bumpWhenHeavyMainlineMoves(
            db,
            repoId,
            batch.map((b) => b.commit.sha),
            attributeAll,
          );
        else attributeAll();
      });
      batch.length = 0;
      batchLines = 0;
      collectIfGrown();
      crashPoint('attribution-batch');
    };
    let patchesRead = 0;
    // The forward patch-ids of the commits read come with their diffs (patch-id is fed the text,
    // here or in the history's pass that kept them): the outcome build finds them kept instead of
    // git diffing every commit again. A new commit's diff is in the store already: the history's
    // pass read it (ingest/git.ts).
    const keepIds = writing ? (ids: Map<string, string | null>) => keepPatchIds(db, repoId, ids) : undefined;
    for await (const patch of readPatches(options.patches, toRead.shas, {
      cwd: options.cwd,
      ...(keepIds ? { onPatchIds: keepIds } : {}),
    })) {
      const at = toRead.indexOf(patch.sha);
      if (at === undefined) continue;
      patchesRead++;
      unread[at] = 0;
      options.patches?.keep(patch);
      batch.push({ patch, commit: toRead.row(at) });
      // The summary's counts when the store gave one: the lines are read only where a session wrote a path.
      const summary = summaryOf(patch);
      if (summary) for (const f of summary) batchLines += f.added + f.removed;
      else for (const f of patch.files) batchLines += f.added.length + f.removed.length;
      if (batch.length >= BATCH_COMMITS || batchLines >= BATCH_LINES) flush();
    }
    flush();
    if (writing) {
      db.transaction(() => {
        if (stage) writeStaged(stage, options.config);
        // A commit git gave no diff for (a missing object) is tried again next run, without
        // replaying every commit after it each time.
        const mark = db.prepare(`UPDATE paceflow_unattributed SET unreadable = 1 WHERE repo_id = ? AND sha = ?`);
        for (let i = 0; i < unread.length; i++) if (unread[i]) mark.run([repoId, toRead.sha(i)]);
        run.dequeueAttributed();
        // Queued commits nothing can attribute (a merge, a commit rewritten away) leave the queue.
        db.prepare(
          `DELETE FROM paceflow_unattributed WHERE repo_id = ? AND sha NOT IN (
           SELECT c.sha FROM metadata_commits c WHERE c.repo_id = paceflow_unattributed.repo_id AND c.sha = paceflow_unattributed.sha
             AND c.is_merge = 0 AND c.is_shallow_boundary = 0 AND c.is_unreachable = 0)`,
        ).run([repoId]);
        if (from !== null) replayDone(db, repoId, Number.MAX_SAFE_INTEGER);
      });
    }
    // The indexes put off, made over the rows written (a staged replay's among them).
    rowsWritten();
    return { commits, patchesRead, attributed: run.attributed, notesToWrite: run.notesToWrite };
  } catch (error) {
    // A replay that failed writes none of its staged rows (its commits stay queued): the
    // connection lets go of them, and keeps no temporary table that would change what its later
    // statements do (db/journal.ts leaves temp_store alone while one exists).
    stage?.dropQuietly();
    throw error;
  }
}

/**
 * The written lines the replay starts from: writes to the paths the commits to read touch (every
 * path, for a whole replay), with the writes other commits took marked used. For `show` (`only`),
 * the writes the commits before it took.
 */
function writtenBefore(
  db: Database,
  repoId: string,
  toRead: AttributionCommits,
  whole: boolean,
  only?: string,
  /** `toRead` is every attributable commit (commitsToRead's allQueued). */
  allQueued = false,
): WrittenLines {
  let paths: string[] | null = null;
  if (!whole && allQueued) {
    // Every commit's paths: the repository's, from the two path indexes alone (each entry is a
    // path and a sha, in path order), not each commit's file changes by key (111k rows joined to
    // the list on the 80k bench history's first run, 270 ms). The paths of the commits that are not
    // attributable come too: no commit read touches them, so their writes are never taken, and
    // none of those commits took any (dropUnreachableTakings; a merge or a shallow clone's cut-off
    // commit is never attributed).
    const set = new Set<string>();
    for (const [path] of db
      .prepare(`SELECT DISTINCT path FROM metadata_commit_file_changes INDEXED BY metadata_commit_file_changes_by_path WHERE repo_id = ?`)
      .iterateArrays([repoId]))
      set.add(path as string);
    for (const [path] of db
      .prepare(
        `SELECT DISTINCT old_path FROM metadata_commit_file_changes INDEXED BY metadata_commit_file_changes_by_old_path
         WHERE repo_id = ? AND old_path IS NOT NULL`,
      )
      .iterateArrays([repoId]))
      set.add(path as string);
    paths = [...set];
  } else if (!whole) {
    // One statement for every commit (json_each hands SQLite the list, in order; each commit's
    // files by key, as a query per commit read them): a first run with transcripts replays from
    // their first write, not from the start, and asked once per commit of its history — 64k
    // statements on git's own, ~0.5 s.
    const touched = db.prepare(
      `SELECT f.path, f.old_path FROM json_each(@shas) t
         CROSS JOIN metadata_commit_file_changes f ON f.repo_id = @repo AND f.sha = t.value`,
    );
    const set = new Set<string>();
    for (const [path, oldPath] of touched.iterateArrays({ repo: repoId, shas: JSON.stringify(toRead.shas) })) {
      set.add(path as string);
      if (oldPath) set.add(oldPath as string);
    }
    paths = [...set];
  }
  const written = loadWrittenLines(db, repoId, paths);
  if (whole) return written;
  const one = only === undefined ? undefined : toRead.indexOf(only);
  for (const t of storedTakings(
    db,
    repoId,
    paths,
    toRead,
    one === undefined ? undefined : { committedAt: toRead.committedAt(one), sha: only! },
  )) {
    written.markUsed(t.editId, t.writePath, t.line, t.n);
  }
  return written;
}

type AiderCommit = { short_sha: string; session_id: string; model: string | null };

/** Aider names the commits it made (`> Commit <sha7>`): those commits are its session's work. */
function loadAiderCommits(db: Database, repoId: string): AiderCommit[] {
  return db
    .prepare(
      `SELECT r.tool_call_id AS short_sha, s.session_id, s.model FROM fact_session_records r
       JOIN metadata_sessions s ON s.session_id = r.session_id
       WHERE r.tool_name = 'aider:commit' AND s.repo_id = ?`,
    )
    .all<AiderCommit>([repoId]);
}

/**
 * Every attributable commit (non-merge, reachable, not a shallow boundary) counted, and the ones
 * whose diff must be read, in commit order: the queued ones (no outcome yet, a changed note), the
 * one asked for, and — replaying from second `from` — the commits from then on that touch a path
 * some session wrote or took a write before; `whole`: every commit touching such a path, and every
 * commit with a note.
 */
export function commitsToRead(
  db: Database,
  repoId: string,
  options: AttributionOptions,
  notes: Pick<ReturnType<typeof loadNoteCredits>, 'shas'>,
  from: number | 'whole' | null,
): { commits: number; toRead: AttributionCommits; allQueued: boolean } {
  const attributable = `c.repo_id = @repo AND c.is_merge = 0 AND c.is_shallow_boundary = 0 AND c.is_unreachable = 0`;
  const commits = attributableCommits(db, repoId);
  // The commits without an outcome come from paceflow_unattributed (sql/010), not from comparing
  // every commit with event_commit_outcomes — unless the counts say some commit has neither (its
  // outcome row was dropped to be rebuilt from the facts): then the comparison refills it. Both
  // totals are counted without reading the rows (db/count.ts): this runs after every commit.
  const outcomes = repositoryRows(db, 'event_commit_outcomes', repoId);
  // The queued commits' rows in one join (a first run queues every commit: asked one by one, git's
  // own history took ~1.9 s); the rest — a replay's, notes', the one asked for — one by one below.
  // Their number is what the comparison with the counts needs (a count of the same join first read
  // a first run's 57k commits twice).
  const queuedRows = () =>
    options.only
      ? new AttributionCommits()
      : new AttributionCommits().addRows(
          db
            .prepare(
              `SELECT c.sha, c.committed_at, c.ai_marker FROM paceflow_unattributed u
               CROSS JOIN metadata_commits c ON c.repo_id = u.repo_id AND c.sha = u.sha
               WHERE u.repo_id = @repo AND ${attributable}`,
            )
            .iterateArrays({ repo: repoId }),
        );
  let toRead = queuedRows();
  if (!options.only && outcomes + toRead.size < commits && !options.readOnly) {
    db.prepare(
      `INSERT OR IGNORE INTO paceflow_unattributed (repo_id, sha) SELECT c.repo_id, c.sha FROM metadata_commits c
       WHERE ${attributable} AND NOT EXISTS (SELECT 1 FROM event_commit_outcomes o WHERE o.repo_id = c.repo_id AND o.sha = c.sha)`,
    ).run({ repo: repoId });
    toRead = queuedRows();
  }
  const queued = toRead.size;
  // The commits to add, each once (the queued ones are in toRead already).
  const shas = new Set<string>();
  const add = (sha: string) => {
    if (!toRead.has(sha)) shas.add(sha);
  };
  if (options.only) add(options.only);
  // Every commit that can be attributed is queued (a first run queues them all): what a replay,
  // the notes or aider's records would add is queued already, or cannot be attributed — the 80k
  // bench history's first run asked for the 48,719 commits touching a written path for nothing.
  // The kept count says so first; then the rows are counted (by the state index, one range): a kept
  // count gone wrong must cost a query, never a replay's commits.
  const allQueued =
    !options.only &&
    queued === commits &&
    queued === db.prepare(`SELECT count(*) AS n FROM metadata_commits c WHERE ${attributable}`).get<{ n: number }>({ repo: repoId })!.n;
  if (from !== null && from !== 'whole' && !allQueued) {
    // A replay: the commits since `from` (by time) that touch a path some session wrote (or a path
    // renamed from one), each path asked of the edits by index — not every written path listed.
    const aiPath = `EXISTS (SELECT 1 FROM fact_session_file_edits e INDEXED BY fact_session_file_edits_by_path
                     WHERE e.repo_id = c.repo_id AND e.status = 'applied' AND e.path = `;
    for (const { sha } of db
      .prepare(
        `SELECT DISTINCT f.sha FROM metadata_commits c
         CROSS JOIN metadata_commit_file_changes f ON f.repo_id = c.repo_id AND f.sha = c.sha
         WHERE c.repo_id = @repo AND c.committed_at >= @iso
           AND (${aiPath}f.path) OR (f.old_path IS NOT NULL AND ${aiPath}f.old_path)))`,
      )
      .all<{ sha: string }>({ repo: repoId, iso: isoSeconds(from) }))
      add(sha);
  }
  if (allQueued) {
    // Nothing to add.
  } else if (from === 'whole') {
    db.exec(`CREATE TEMP TABLE IF NOT EXISTS paceflow_ai_paths (path TEXT PRIMARY KEY)`);
    db.exec(`DELETE FROM temp.paceflow_ai_paths`);
    const insertPath = db.prepare(`INSERT OR IGNORE INTO temp.paceflow_ai_paths (path) VALUES (?)`);
    const aiPaths = db.prepare(
      `SELECT DISTINCT path FROM fact_session_file_edits WHERE repo_id = ? AND status = 'applied' AND path IS NOT NULL`,
    );
    db.transaction(() => {
      for (const { path } of aiPaths.all<{ path: string }>([repoId])) insertPath.run([path]);
    });
    // By index: every file change of those paths (or of paths renamed from them).
    for (const { sha } of db
      .prepare(
        `SELECT f.sha FROM temp.paceflow_ai_paths p
         JOIN metadata_commit_file_changes f ON f.repo_id = @repo AND f.path = p.path
         UNION
         SELECT f.sha FROM temp.paceflow_ai_paths p
         JOIN metadata_commit_file_changes f ON f.repo_id = @repo AND f.old_path = p.path`,
      )
      .all<{ sha: string }>({ repo: repoId }))
      add(sha);
    for (const sha of notes.shas()) add(sha);
  } else if (from !== null) for (const sha of commitsWithTakingsFrom(db, repoId, from)) add(sha);
  if (from !== null && !allQueued) {
    // The commits aider says it made (`> Commit <sha7>`) from then on: their credit comes from that
    // record, not from a written path, so the path rules above miss one whose file no session wrote.
    for (const { sha } of db
      .prepare(
        `SELECT c.sha FROM fact_session_records r INDEXED BY fact_session_records_aider_commits
         CROSS JOIN metadata_sessions s ON s.session_id = r.session_id
         CROSS JOIN metadata_commits c ON c.repo_id = s.repo_id AND c.sha >= r.tool_call_id AND c.sha < r.tool_call_id || 'g'
         WHERE r.tool_name = 'aider:commit' AND s.repo_id = @repo AND c.committed_at >= @iso`,
      )
      .all<{ sha: string }>({ repo: repoId, iso: from === 'whole' ? '' : isoSeconds(from) }))
      add(sha);
  }
  const one = db.prepare(`SELECT c.sha, c.committed_at, c.ai_marker FROM metadata_commits c WHERE ${attributable} AND c.sha = @sha`);
  for (const sha of shas) {
    const row = one.get<AttributionCommit>({ repo: repoId, sha });
    if (row) toRead.add(row.sha, row.committed_at, row.ai_marker);
  }
  return { commits, toRead: toRead.sort(), allQueued };
}

type Credit = { provider: string; sessionId: string; model: string | null; lines: number };

/** What matching one commit's added lines against the written lines found. */
interface LineMatch {
  nontrivial: number;
  /** Per provider and session. */
  credits: Map<string, Credit>;
  /** Which write each AI line took (kept in paceflow_ai_lines for the next replay). */
  takings: Taking[];
  explanation: LineExplanation[];
}

/**
 * The AI-line rule (DESIGN §4): each non-trivial added line takes the latest unused write of the same
 * normalized text, to the same path (or the path it was renamed from), made before the commit.
 */
export function matchCommitLines(files: readonly FilePatch[], at: number, written: WrittenLines, explain: boolean): LineMatch {
  const match: LineMatch = { nontrivial: 0, credits: new Map(), takings: [], explanation: [] };
  for (const file of files) {
    const paths = file.oldPath && file.oldPath !== file.path ? [file.path, file.oldPath] : [file.path];
    for (const text of file.added) {
      if (!isNontrivialLine(text)) {
        if (explain) match.explanation.push({ path: file.path, text, verdict: { kind: 'trivial' } });
        continue;
      }
      match.nontrivial++;
      const taken = written.take(paths, text, at);
      if (!taken) {
        if (explain) match.explanation.push({ path: file.path, text, verdict: unmatchedVerdict(written, paths) });
        continue;
      }
      const { write } = taken;
      credit(match, write, taken.path, file.path, text);
      if (explain) {
        match.explanation.push({
          path: file.path,
          text,
          verdict: {
            kind: 'ai',
            sessionId: write.sessionId,
            provider: write.provider,
            model: write.model,
            writtenAt: new Date(write.at).toISOString(),
            editId: write.editId,
            toolName: write.toolName,
          },
        });
      }
    }
  }
  return match;
}

/** Credits an AI line (`text`, at `path`) to the write it took, to `writePath`. */
function credit(match: LineMatch, write: Write, writePath: string, path: string, text: string): void {
  match.takings.push({ editId: write.editId, writePath, path, line: normalizeLine(text), provider: write.provider });
  const credit = match.credits.get(write.creditKey);
  if (credit) credit.lines++;
  else match.credits.set(write.creditKey, { provider: write.provider, sessionId: write.sessionId, model: write.model, lines: 1 });
}

/**
 * matchCommitLines' answer from a kept patch's record (forEachCountedLine), null when it has none
 * at hand: the lines of files on paths no session wrote are not read (their count is the
 * summary's), and those on a written path are looked up by the hash of their bytes — only a line
 * taken becomes a string. Decoding whole records was the attribution's largest allocation on the
 * 80k bench history's first run (~350 MB of its ~1 GB).
 */
function matchStoredLines(patch: CommitPatch, at: number, written: WrittenLines): LineMatch | null {
  const summary = summaryOf(patch);
  if (!summary) return null;
  const match: LineMatch = { nontrivial: 0, credits: new Map(), takings: [], explanation: [] };
  const paths = summary.map((f) => (f.oldPath !== null && f.oldPath !== f.path ? [f.path, f.oldPath] : [f.path]));
  const read = forEachCountedLine(
    patch,
    (i) => paths[i]!.some((p) => written.hasPath(p)),
    (i, data, start, end, key) => {
      const taken = written.takeKey(paths[i]!, key, at);
      if (taken) credit(match, taken.write, taken.path, summary[i]!.path, data.toString('utf8', start, end));
    },
    NORMAL_LINE_KEY,
  );
  if (!read) return null;
  for (const f of summary) match.nontrivial += f.counted;
  return match;
}

/**
 * matchCommitLines' answer for a commit none of whose paths (or renamed-from paths) a session wrote,
 * from the store's summary without reading a line: its non-trivial count and no AI line. Null when
 * it must read them (a written path, no summary, a scoped or explained build).
 */
function unwrittenMatch(patch: CommitPatch, written: WrittenLines): LineMatch | null {
  const summary = summaryOf(patch);
  if (!summary) return null;
  let nontrivial = 0;
  for (const f of summary) {
    if (written.hasPath(f.path) || (f.oldPath !== null && f.oldPath !== f.path && written.hasPath(f.oldPath))) return null;
    nontrivial += f.counted;
  }
  return { nontrivial, credits: new Map(), takings: [], explanation: [] };
}

function unmatchedVerdict(written: WrittenLines, paths: readonly string[]): LineVerdict {
  return paths.some((p) => written.hasPath(p))
    ? {
        kind: 'edited',
        note: 'a session wrote this file, but not this line before the commit (changed by a person, or already credited to an earlier commit)',
      }
    : { kind: 'no-session' };
}

/**
 * One build's attribution, commit by commit in commit order (the written lines are consumed as
 * they are credited). The evidence ladder per commit: transcript lines; else the commit aider says
 * it made; else a paceflow or git-ai note; else a trailer or marker, as an upper bound.
 */
class AttributionRun {
  attributed = 0;
  readonly notesToWrite: { sha: string; text: string }[] = [];
  private readonly sql;
  private readonly stagedTakings: { aiLines: string; churnDirty: string } | undefined;

  /**
   * A replay takes its commits off the queue when it ends, not commit by commit. Its batches commit
   * in turn, and on a first run each deleted ~500 random rows of paceflow_unattributed: the queue's
   * pages written again in every batch (20k-commit bench history: 64.6k → 52.4k write calls for
   * attribution). A run killed before the end leaves them queued, outcome rows and all: the next
   * run reads them again with the rest, and what they took is theirs to take again (writtenBefore
   * leaves the takings of the commits it reads out), so it ends as a run never killed does.
   */
  private readonly attributedShas: string[] | null;
  /**
   * Whether the repository had no attributions and no outcome rows when this run attributed its
   * first commit (a first run): no commit has any to clear or to compare with — two statements a
   * commit skipped (~0.3 s on git's own history). Asked then, not by runs that attribute nothing.
   */
  private firstRun: boolean | undefined;
  private get first(): boolean {
    this.firstRun ??=
      this.options.db
        .prepare(
          `SELECT EXISTS (SELECT 1 FROM event_commit_outcomes WHERE repo_id = ?) OR EXISTS (SELECT 1 FROM event_commit_attributions WHERE repo_id = ?) AS built`,
        )
        .get<{ built: number }>([this.options.repoId, this.options.repoId])!.built === 0;
    return this.firstRun;
  }

  /**
   * Whether the repository had no takings at all when this run saved its first commit's (a first
   * run, or a rebuild that dropped them): each commit this run attributes then has none stored
   * until it saves its own (saveTakings' `none`). `saved`: those that saved some, should one come twice.
   */
  private noTakings: boolean | undefined;
  private readonly saved = new Set<string>();
  private takingsNone(sha: string): boolean {
    this.noTakings ??=
      this.options.db
        .prepare(`SELECT EXISTS (SELECT 1 FROM paceflow_ai_lines WHERE repo_id = ?) AS stored`)
        .get<{ stored: number }>([this.options.repoId])!.stored === 0;
    return this.noTakings && !this.saved.has(sha);
  }

  constructor(
    private readonly options: AttributionOptions,
    private readonly written: WrittenLines,
    private readonly notes: ReturnType<typeof loadNoteCredits>,
    private readonly aiderCommits: readonly AiderCommit[],
    replaying = false,
    /** A first replay's stage (attribution-stage.ts): its rows are written there until it ends. */
    stage?: AttributionStage,
  ) {
    this.attributedShas = replaying ? [] : null;
    const { db } = options;
    const owed = stage?.table('paceflow_owed_notes') ?? 'paceflow_owed_notes';
    this.stagedTakings = stage && { aiLines: stage.table('paceflow_ai_lines'), churnDirty: stage.table('paceflow_churn_dirty') };
    this.sql = {
      clearAttributions: db.prepare(`DELETE FROM event_commit_attributions WHERE repo_id = ? AND sha = ?`),
      attributed: db.prepare(`DELETE FROM paceflow_unattributed WHERE repo_id = ? AND sha = ?`),
      oweNote: db.prepare(`INSERT OR REPLACE INTO ${owed} (repo_id, sha, note_text) VALUES (?, ?, ?)`),
      counted: db.prepare(
        `SELECT ai_lines, nontrivial_added_lines, merged_to_mainline FROM event_commit_outcomes WHERE repo_id = ? AND sha = ?`,
      ),
      settleNote: db.prepare(`DELETE FROM paceflow_owed_notes WHERE repo_id = ? AND sha = ?`),
      // A staged replay settles an owed note stored before it, and one it staged.
      settleStaged: stage ? db.prepare(`DELETE FROM ${owed} WHERE repo_id = ? AND sha = ?`) : undefined,
      // How the session (its root: a sub-agent's work is its parent's) went, for the note. The
      // rejected edits of the root and its sub-agents by index (without the plan named, SQLite
      // scanned every code change per session: 11 s of a first run on the 80k bench history).
      sessionWork: db.prepare(`
        SELECT q.user_prompt_count AS prompts, q.repeated_debug_loop AS debug_loop, q.mid_session_error_paste AS error_paste,
          (SELECT count(*) FROM event_session_quality s INDEXED BY event_session_quality_by_root
           CROSS JOIN event_session_code_changes e ON e.session_id = s.session_id
           WHERE s.root_session_id = q.session_id AND e.status = 'rejected') AS rejected_edits
        FROM event_session_quality q
        WHERE q.session_id = (SELECT root_session_id FROM event_session_quality WHERE session_id = ?)`),
      attribution: attributionWriter(db, stage?.table('event_commit_attributions')),
      outcome: stage ? stagedOutcomeWriter(db, stage) : outcomeWriter(db, options.config),
    };
  }

  attribute(patch: CommitPatch, commit: AttributionCommit): void {
    const { options } = this;
    const scope = options.pathScope;
    const at = Date.parse(commit.committed_at);
    // From the store's summary or record when it can (neither decodes the patch); else its lines.
    const stored =
      scope === undefined && options.onExplain === undefined
        ? (unwrittenMatch(patch, this.written) ?? matchStoredLines(patch, at, this.written))
        : null;
    // A getter: the store decodes a patch's lines when they are first asked for.
    const files = stored
      ? []
      : scope
        ? patch.files.filter((f) => scope.has(f.path) || (f.oldPath !== null && scope.has(f.oldPath)))
        : patch.files;
    if (scope && files.length === 0) return;
    const match = stored ?? matchCommitLines(files, at, this.written, options.onExplain !== undefined);
    // A commit aider says it made is all its session's work.
    const byAider = match.credits.size === 0 ? this.aiderCommits.find((a) => commit.sha.startsWith(a.short_sha)) : undefined;
    if (byAider && match.nontrivial > 0) {
      match.credits.set(`aider\0${byAider.session_id}`, {
        provider: 'aider',
        sessionId: byAider.session_id,
        model: byAider.model,
        lines: match.nontrivial,
      });
    }
    if (options.onExplain && (!options.only || options.only === commit.sha)) options.onExplain(commit.sha, match.explanation);
    if (options.only || options.readOnly) return;
    if (!this.first) this.sql.clearAttributions.run([options.repoId, commit.sha]);
    const aiLines = this.writeEvidence(patch, files, commit, match);
    // Churn counts the AI lines of commits on mainline (their own, or a copy's): a change to them
    // bumps the generation it reads.
    const before = this.first
      ? undefined
      : this.sql.counted.get<{ ai_lines: number; nontrivial_added_lines: number; merged_to_mainline: number | null }>([
          options.repoId,
          commit.sha,
        ]);
    this.sql.outcome({ repo: options.repoId, sha: commit.sha, at: commit.committed_at, nontrivial: match.nontrivial, ai: aiLines });
    if (before?.merged_to_mainline === 1 && (before.ai_lines !== aiLines || before.nontrivial_added_lines !== match.nontrivial)) {
      bumpGeneration(options.db, `mainline_ai_gen:${options.repoId}`);
      evidenceChanged(options.db, options.repoId, [commit.sha]);
    }
    if (this.attributedShas) this.attributedShas.push(commit.sha);
    else this.sql.attributed.run([options.repoId, commit.sha]);
    const none = this.takingsNone(commit.sha);
    saveTakings(options.db, options.repoId, commit.sha, match.takings, none, this.stagedTakings);
    if (none && match.takings.length > 0) this.saved.add(commit.sha);
  }

  /** The commits a replay attributed leave the queue (in the transaction that ends the replay). */
  dequeueAttributed(): void {
    // In key order: each of the queue's pages is read and written once.
    for (const sha of this.attributedShas?.splice(0).sort() ?? []) this.sql.attributed.run([this.options.repoId, sha]);
  }

  /** How each credited session went, asked once per session in a build (a session is credited for many commits). */
  private readonly work = new Map<string, SessionWork | undefined>();
  private sessionWork(sessionId: string): SessionWork | undefined {
    if (!this.work.has(sessionId)) this.work.set(sessionId, this.sql.sessionWork.get<SessionWork>([sessionId]));
    return this.work.get(sessionId);
  }

  /** Writes the commit's attributions from the strongest evidence it has; returns its AI lines. */
  private writeEvidence(patch: CommitPatch, files: readonly FilePatch[], commit: AttributionCommit, match: LineMatch): number {
    const { repoId } = this.options;
    const { credits, nontrivial } = match;
    let aiLines = 0;
    for (const credit of credits.values()) {
      this.sql.attribution({
        repo: repoId,
        sha: commit.sha,
        provider: credit.provider,
        session: credit.sessionId,
        model: credit.model,
        lines: credit.lines,
        nontrivial,
        source: 'transcript',
      });
      aiLines += credit.lines;
    }
    const fromNote = this.notes.paceflow.get(commit.sha)?.credits ?? this.notes.gitAi.get(commit.sha);
    if (credits.size > 0) {
      this.attributed++;
      const withWork = [...credits.values()].map((c) => ({ ...c, work: this.sessionWork(c.sessionId) }));
      const text = composeNote(this.options.tool ?? 'paceflow', nontrivial, withWork);
      const stored = this.notes.paceflow.get(commit.sha)?.text;
      // Owed in this transaction: a run killed before git has it writes it next time.
      if (!stored || stripTool(stored) !== stripTool(text)) {
        this.notesToWrite.push({ sha: commit.sha, text });
        this.sql.oweNote.run([repoId, commit.sha, text]);
      } else {
        this.sql.settleNote.run([repoId, commit.sha]);
        this.sql.settleStaged?.run([repoId, commit.sha]);
      }
    } else if (fromNote && fromNote.length > 0) {
      // No transcript here (a clone, CI): the note written where the transcripts were.
      const scale = this.options.pathScope ? inScopeShare(patch, files) : 1;
      for (const credit of fromNote) {
        const lines = Math.round(credit.lines * scale);
        this.sql.attribution({
          repo: repoId,
          sha: commit.sha,
          provider: credit.provider,
          session: credit.session,
          model: credit.model,
          lines,
          nontrivial,
          source: 'note',
        });
        aiLines += lines;
      }
      aiLines = Math.min(aiLines, nontrivial);
    } else if (commit.ai_marker) {
      // A trailer names the provider but not the lines: the commit's non-trivial lines are its
      // upper bound, and the source says so.
      this.sql.attribution({
        repo: repoId,
        sha: commit.sha,
        provider: attributionProvider(commit.ai_marker),
        session: '',
        model: null,
        lines: nontrivial,
        nontrivial,
        source: 'trailer',
      });
      aiLines = nontrivial;
    }
    return aiLines;
  }
}

/** The share of a commit's non-trivial added lines that lie in the given files. */
function inScopeShare(patch: CommitPatch, files: readonly CommitPatch['files'][number][]): number {
  const count = (list: readonly CommitPatch['files'][number][]) => list.reduce((n, f) => n + f.added.filter(isNontrivialLine).length, 0);
  const total = count(patch.files);
  return total === 0 ? 0 : count(files) / total;
}

function stripTool(noteText: string): string {
  return noteText.replace(/"tool":"[^"]*",/, '');
}

/** What the shares and heavy-AI flags are computed with. */
type ShareThresholds = Pick<PaceflowConfig, 'heavyAiThreshold' | 'heavyAiMinLines'>;

/**
 * The share, flag and source rules, in SQL, once: the row writers below compute them as each row
 * is written, and the whole update (thresholds changed) computes them again for every row from the
 * stored counts. Each takes the SQL of its inputs (a column, or a parameter).
 */
const shareSql = (lines: string, nontrivial: string) => `CASE WHEN ${nontrivial} > 0 THEN round(1.0 * ${lines} / ${nontrivial}, 4) END`;
const heavySql = (lines: string, nontrivial: string) =>
  `(coalesce(${shareSql(lines, nontrivial)}, 0) >= @threshold AND ${nontrivial} >= @minLines)`;
/** The strongest source among a commit's attributions (written before its outcome row). */
const sourceSql = (repo: string, sha: string) => `(
  SELECT CASE WHEN max(a.source = 'transcript') = 1 THEN 'transcript'
              WHEN max(a.source = 'note') = 1 THEN 'note'
              WHEN max(a.source = 'trailer') = 1 THEN 'trailer' END
  FROM event_commit_attributions a WHERE a.repo_id = ${repo} AND a.sha = ${sha})`;
const coverageSql = (repo: string, sha: string) =>
  `CASE WHEN EXISTS (SELECT 1 FROM event_commit_attributions a WHERE a.repo_id = ${repo} AND a.sha = ${sha}) THEN 'tracked' ELSE 'untracked' END`;

/** One attribution row, its share of the commit's non-trivial lines computed as it is written. */
export interface AttributionRow {
  repo: string;
  sha: string;
  provider: string;
  session: string;
  model: string | null;
  lines: number;
  /** The commit's non-trivial added lines (its outcome row's). */
  nontrivial: number;
  source: 'transcript' | 'note' | 'trailer';
}

export function attributionWriter(db: Database, table = 'event_commit_attributions'): (row: AttributionRow) => void {
  const insert = db.prepare(`
    INSERT INTO ${table} (repo_id, sha, provider, session_id, model, matched_lines, share_of_commit, source)
    VALUES (@repo, @sha, @provider, @session, @model, @lines, ${shareSql('@lines', '@nontrivial')}, @source)`);
  return (row) => insert.run({ ...row });
}

/** One commit's outcome row as attribution writes it: its counts. */
export interface OutcomeCounts {
  repo: string;
  sha: string;
  at: string;
  nontrivial: number;
  ai: number;
}

/**
 * Writes (or rewrites) a commit's outcome row with its share, heavy-AI flag, source and coverage,
 * computed in the statement from the counts and the commit's attribution rows, which must be
 * written first. Attribution writes the row once: it was inserted and then updated by its batch
 * (the share and flag) — 44,192 UPDATEs, ~450 ms of the 80k bench history's first run (bench/README
 * session 34); the outcome build still updates its mainline state. A one-row VALUES statement
 * keeps no statement journal (an UPDATE of a batch's rows at once did, spilled to a file).
 */
export function outcomeWriter(db: Database, config: ShareThresholds): (row: OutcomeCounts) => void {
  const upsert = db.prepare(`
    INSERT INTO event_commit_outcomes (${OUTCOME_COLUMNS.join(', ')})
    VALUES (${outcomeValues({ repo: '@repo', sha: '@sha', at: '@at', nontrivial: '@nontrivial', ai: '@ai' })})
    ON CONFLICT (repo_id, sha) DO UPDATE SET
      committed_at = excluded.committed_at, nontrivial_added_lines = excluded.nontrivial_added_lines,
      ai_lines = excluded.ai_lines, ai_share = excluded.ai_share, heavy_ai = excluded.heavy_ai,
      attribution_coverage = excluded.attribution_coverage, attribution_source = excluded.attribution_source`);
  const limits = thresholdParams(config);
  return (row) => upsert.run({ ...row, ...limits });
}

/** The columns attribution writes of an outcome row, in outcomeValues' order. */
const OUTCOME_COLUMNS = [
  'repo_id',
  'sha',
  'committed_at',
  'nontrivial_added_lines',
  'ai_lines',
  'ai_share',
  'heavy_ai',
  'attribution_coverage',
  'attribution_source',
] as const;

/** An outcome row's values from the SQL of its counts: the share, flag, coverage and source computed. */
const outcomeValues = (c: { repo: string; sha: string; at: string; nontrivial: string; ai: string }) =>
  [c.repo, c.sha, c.at, c.nontrivial, c.ai, shareSql(c.ai, c.nontrivial), heavySql(c.ai, c.nontrivial)]
    .concat([coverageSql(c.repo, c.sha), sourceSql(c.repo, c.sha)])
    .join(', ');

const thresholdParams = (config: ShareThresholds) => ({ threshold: config.heavyAiThreshold, minLines: config.heavyAiMinLines });

/** outcomeWriter for a staged replay: the counts alone, computed when the stage is written (writeStaged). */
function stagedOutcomeWriter(db: Database, stage: AttributionStage): (row: OutcomeCounts) => void {
  const insert = db.prepare(
    `INSERT INTO ${stage.outcomes} (repo_id, sha, committed_at, nontrivial_added_lines, ai_lines) VALUES (@repo, @sha, @at, @nontrivial, @ai)`,
  );
  return (row) => insert.run({ ...row });
}

/** A staged replay's rows written where they go, the outcome rows as outcomeWriter computes them. */
function writeStaged(stage: AttributionStage, config: ShareThresholds): void {
  stage.write({
    columns: OUTCOME_COLUMNS,
    values: (s) =>
      outcomeValues({
        repo: `${s}.repo_id`,
        sha: `${s}.sha`,
        at: `${s}.committed_at`,
        nontrivial: `${s}.nontrivial_added_lines`,
        ai: `${s}.ai_lines`,
      }),
    params: thresholdParams(config),
  });
}

/**
 * Runs `write` (a batch's rows) and bumps heavy_mainline_gen when it changed which of `shas` are
 * heavy-AI mainline commits with transcript or note evidence: the outcome build re-checks partial
 * reverts then, reading a generation instead of every heavy-AI row. One statement before and one
 * after, for the batch's commits by key (json_each hands SQLite the list): it was two a commit,
 * 128k on git's own history's first run, nearly all finding no row. In the caller's transaction.
 */
export function bumpWhenHeavyMainlineMoves(db: Database, repoId: string, shas: readonly string[], write: () => void): void {
  const heavyOf = db.prepare(
    `SELECT o.sha, o.heavy_ai = 1 AND o.attribution_source IN ('transcript', 'note') AS heavy
     FROM json_each(@shas) t CROSS JOIN event_commit_outcomes o ON o.repo_id = @repo AND o.sha = t.value
     WHERE o.mainline_via = 'ancestor' ORDER BY o.sha`,
  );
  const list = JSON.stringify(shas);
  const heavy = () => JSON.stringify(heavyOf.all({ repo: repoId, shas: list }));
  const before = heavy();
  write();
  if (heavy() !== before) bumpGeneration(db, `heavy_mainline_gen:${repoId}`);
}

function bumpGeneration(db: Database, key: string): void {
  db.prepare(
    `INSERT INTO paceflow_meta (key, value) VALUES (?, '1') ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1`,
  ).run([key]);
}

const thresholdsKey = (repoId: string) => `attribution_thresholds:${repoId}`;
const thresholdsOf = (config: ShareThresholds) => JSON.stringify([config.heavyAiThreshold, config.heavyAiMinLines]);

/** Whether every row's flags were last written with these thresholds. */
function thresholdsRecorded(db: Database, repoId: string, config: ShareThresholds): boolean {
  const recorded = db.prepare(`SELECT value FROM paceflow_meta WHERE key = ?`).get<{ value: string }>([thresholdsKey(repoId)]);
  return recorded?.value === thresholdsOf(config);
}

/**
 * Every row's shares and flags, in SQL, from the stored counts and the thresholds, when the
 * thresholds changed since a run last recorded them (a first run records them, over no rows), in
 * the caller's open transaction: every row at once, the thresholds recorded, the generations that
 * read the flags and the AI evidence bumped. Nothing else changes a row's counts or its
 * attributions, and the rows a run writes compute theirs as they are written (an UPDATE of many
 * rows whose SET calls a function gets a statement journal, which spills to a file: this runs
 * only when the thresholds change).
 */
export function writeOutcomeShares(db: Database, repoId: string, config: ShareThresholds): void {
  if (thresholdsRecorded(db, repoId, config)) return;
  db.prepare(`
    UPDATE event_commit_attributions SET share_of_commit = (
      SELECT ${shareSql('event_commit_attributions.matched_lines', 'o.nontrivial_added_lines')}
      FROM event_commit_outcomes o WHERE o.repo_id = event_commit_attributions.repo_id AND o.sha = event_commit_attributions.sha)
    WHERE repo_id = @repo`).run({ repo: repoId });
  // The share and the flag in one statement: SET reads the row as it was, so the flag computes
  // the share again.
  db.prepare(`
    UPDATE event_commit_outcomes SET
      ai_share = ${shareSql('ai_lines', 'nontrivial_added_lines')},
      heavy_ai = ${heavySql('ai_lines', 'nontrivial_added_lines')},
      attribution_source = ${sourceSql('event_commit_outcomes.repo_id', 'event_commit_outcomes.sha')},
      attribution_coverage = ${coverageSql('event_commit_outcomes.repo_id', 'event_commit_outcomes.sha')}
    WHERE repo_id = @repo`).run({ repo: repoId, threshold: config.heavyAiThreshold, minLines: config.heavyAiMinLines });
  db.prepare(`INSERT INTO paceflow_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run([
    thresholdsKey(repoId),
    thresholdsOf(config),
  ]);
  bumpGeneration(db, `heavy_mainline_gen:${repoId}`);
  bumpGeneration(db, `mainline_ai_gen:${repoId}`);
  allEvidenceChanged(db, repoId);
}
