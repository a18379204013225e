import { createHash } from 'node:crypto';
import type { PaceflowConfig } from '../config/config.js';
import type { Database } from '../db/driver.js';
import type { GitIngestResult } from '../ingest/git.js';
import type { ProviderIngestStats } from '../ingest/sessions.js';
import { packageVersion } from '../version.js';

/**
 * What the last complete run of the builders was made from, kept per work tree (paceflow_meta
 * `built_state:<root>`), so that a run with nothing new skips the builders instead of asking each
 * whether it is up to date (~60 ms of queries on an 80k-commit history, and their modules' loading).
 *
 * Kill safety: every update takes (reads and deletes) every work tree's state before it ingests
 * anything — facts may change for every repository (transcripts are shared) — and a build writes
 * its own back only once every builder finished. A run killed anywhere after the take leaves no
 * state, and the next run builds. The builders' verdicts also depend on the date (merge, revert
 * and churn windows close as time passes): a state holds until the earliest open window closes.
 */
export interface BuiltState {
  /** The repository the build was for. */
  repoId: string;
  /** builtInputs() as the build saw it. */
  inputs: string;
  /** Unix seconds when the earliest open window closes (null: none is open). */
  due: number | null;
}

const PREFIX = 'built_state:';
// The key range of every work tree's state (';' follows ':'): the primary key's index, no LIKE.
const RANGE = `key >= '${PREFIX}' AND key < 'built_state;'`;

/** Reads this work tree's state (none outside one) and deletes every work tree's (a write only when there is one). */
export function takeBuiltStates(db: Database, root: string | null): BuiltState | null {
  const value =
    root === null ? undefined : db.prepare(`SELECT value FROM paceflow_meta WHERE key = ?`).get<{ value: string }>([PREFIX + root])?.value;
  if (db.prepare(`SELECT 1 AS x FROM paceflow_meta WHERE ${RANGE} LIMIT 1`).get() !== undefined) {
    db.transaction(() => db.prepare(`DELETE FROM paceflow_meta WHERE ${RANGE}`).run());
  }
  return parseState(value);
}

export function saveBuiltState(db: Database, root: string, state: BuiltState): void {
  db.transaction(() =>
    db
      .prepare(`INSERT INTO paceflow_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`)
      .run([PREFIX + root, JSON.stringify(state)]),
  );
}

function parseState(value: string | undefined): BuiltState | null {
  if (value === undefined) return null;
  try {
    const parsed = JSON.parse(value) as Partial<BuiltState>;
    if (typeof parsed.repoId !== 'string' || typeof parsed.inputs !== 'string') return null;
    if (parsed.due !== null && typeof parsed.due !== 'number') return null;
    return { repoId: parsed.repoId, inputs: parsed.inputs, due: parsed.due };
  } catch {
    return null;
  }
}

/**
 * A digest of what the builders read that a run can change without reading a transcript, a commit
 * or a note: the ref tips recorded (a new branch at an old commit, a deleted one), mainline, the
 * settings, paceflow's version and schema.
 */
export function builtInputs(db: Database, repoId: string, config: PaceflowConfig, writeNotes: boolean): string {
  const hash = createHash('sha256');
  hash.update(
    `v1\0${packageVersion()}\0${db.prepare('PRAGMA user_version').get<{ user_version: number }>()?.user_version}\0${writeNotes}\0`,
  );
  hash.update(`${JSON.stringify(config)}\0`);
  const repository = db
    .prepare(`SELECT mainline_branch, mainline_source, is_shallow FROM metadata_repositories WHERE repo_id = ?`)
    .get<Record<string, unknown>>([repoId]);
  hash.update(`${JSON.stringify(repository ?? null)}\0`);
  // The tips as one string SQLite joins (the same bytes as a line per row, hashed in one call: a
  // row and a hash update each cost ~5 ms of every run on git's own history, 1,018 refs).
  const tips = db
    .prepare(
      `SELECT group_concat(ref_name || ' ' || sha || char(10), '' ORDER BY ref_name) AS lines FROM fact_git_ref_tips WHERE repo_id = ?`,
    )
    .get<{ lines: string | null }>([repoId])?.lines;
  if (tips) hash.update(tips);
  return hash.digest('hex');
}

/**
 * Unix seconds when the first window still open closes (a row's merge, revert or churn flag would
 * change then), or null when none is open. Reads the open rows only, by the partial index.
 */
export function windowsDue(db: Database, repoId: string, config: PaceflowConfig): number | null {
  const row = db
    .prepare(`
      SELECT min(due) AS due FROM (
        SELECT min(CASE WHEN merge_window_closed = 0 THEN unixepoch(committed_at) + @mergedAge END) AS due
        FROM event_commit_outcomes INDEXED BY event_commit_outcomes_open_windows
        WHERE repo_id = @repo AND (merge_window_closed = 0 OR revert_window_closed = 0)
        UNION ALL
        SELECT min(CASE WHEN revert_window_closed = 0 THEN unixepoch(reached_mainline_at) + @revertWindow END)
        FROM event_commit_outcomes INDEXED BY event_commit_outcomes_open_windows
        WHERE repo_id = @repo AND (merge_window_closed = 0 OR revert_window_closed = 0)
        UNION ALL
        SELECT min(unixepoch(o.reached_mainline_at)) + @churnWindow
        FROM event_commit_churn c INDEXED BY event_commit_churn_open_windows
        CROSS JOIN event_commit_outcomes o ON o.repo_id = c.repo_id AND o.sha = c.sha -- the open rows first
        WHERE c.repo_id = @repo AND c.window_closed = 0
        UNION ALL
        -- A row no build gave its flags yet: due now. (EXISTS, not LIMIT: a LIMIT here would limit
        -- the whole compound to its first row.)
        SELECT 0 WHERE EXISTS (SELECT 1 FROM event_commit_outcomes WHERE repo_id = @repo AND merged_to_mainline IS NULL)
      )`)
    .get<{ due: number | null }>({
      repo: repoId,
      mergedAge: config.mergedMinAgeDays * 86400,
      revertWindow: config.revertWindowDays * 86400,
      churnWindow: config.churnWindowDays * 86400,
    });
  return row?.due ?? null;
}

/**
 * True when this run changed nothing a build reads since `state` was saved: no commit walked, no
 * ref left unread, no transcript read, no note row changed (notes paceflow wrote itself move the
 * notes ref, and read back change none), the same inputs, and no window due yet.
 */
export function stillBuilt(
  state: BuiltState | null,
  now: {
    repoId: string;
    inputs: string;
    git: GitIngestResult | null;
    sessions: readonly ProviderIngestStats[];
    notesChanged: number;
    at: Date;
  },
): boolean {
  if (!state || state.repoId !== now.repoId || state.inputs !== now.inputs) return false;
  if (!now.git || now.git.commitsRead > 0 || now.git.unreadableRefs.length > 0) return false;
  if (now.sessions.some((s) => s.filesRead > 0) || now.notesChanged > 0) return false;
  return state.due === null || now.at.getTime() / 1000 < state.due;
}

/**
 * True while a builder has work queued for the repository: facts written outside an ingest (the
 * Action's carried notes) and a commit whose diff could not be read (asked again each run) queue
 * their commits there, whatever the digest says.
 */
export function queuedWork(db: Database, repoId: string): boolean {
  return (
    db
      .prepare(`
        SELECT 1 AS x FROM paceflow_unattributed WHERE repo_id = @repo
        UNION ALL SELECT 1 FROM paceflow_attribution_from WHERE repo_id = @repo
        UNION ALL SELECT 1 FROM paceflow_untasked WHERE repo_id = @repo
        UNION ALL SELECT 1 FROM paceflow_churn_dirty WHERE repo_id = @repo
        LIMIT 1`)
      .get({ repo: repoId }) !== undefined
  );
}

/** True while attribution owes the repository a note it could not write (paceflow_owed_notes). */
export function owesNotes(db: Database, repoId: string): boolean {
  return db.prepare(`SELECT 1 AS x FROM paceflow_owed_notes WHERE repo_id = ? LIMIT 1`).get([repoId]) !== undefined;
}
