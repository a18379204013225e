import type { Database } from '../db/driver.js';
import { hasIndex, withSortsSpilledEarly } from '../db/indexes-after.js';
import { allEvidenceChanged, evidenceChanged } from './evidence-changes.js';

/**
 * The bookkeeping that lets attribution replay only what changed (sql/011). DESIGN §4's rule is
 * sequential — each commit, in commit order, takes the latest unused write of each of its lines —
 * so a commit's lines depend on what every earlier commit took. paceflow_ai_lines keeps what each
 * commit took; a run replays the commits from the earliest point anything changed (a new commit,
 * a write added or changed, a session whose credit changed), with every other commit's takings
 * marking their writes as used.
 */

/** One taking: a commit's line matched to a write (the edit, the path it was written to). */
export interface Taking {
  editId: string;
  writePath: string;
  /** The commit's path of the line. */
  path: string;
  /** Normalized text. */
  line: string;
  provider: string;
}

/** A time in seconds as metadata_commits.committed_at writes it (toISOString), for comparisons by index. */
export function isoSeconds(seconds: number): string {
  const d = new Date(seconds * 1000);
  // Outside years 0–9999 toISOString's text does not sort with the rest: the earliest text does.
  return Number.isNaN(d.getTime()) || d.getUTCFullYear() < 0 ? '' : d.getUTCFullYear() > 9999 ? '9999' : d.toISOString();
}

/** The earliest second from which commits are attributed again, or null when nothing asks for it. */
export function replayFrom(db: Database, repoId: string): number | null {
  const queued = db
    .prepare(`SELECT min(at) AS at FROM paceflow_attribution_from WHERE repo_id = ?`)
    .get<{ at: number | null }>([repoId])?.at;
  // New commits (no outcome yet) may take writes later commits took; a pending commit that has an
  // outcome (its note changed) only needs itself attributed again.
  const pending = db
    .prepare(
      `SELECT min(unixepoch(c.committed_at)) AS at FROM paceflow_unattributed u
       CROSS JOIN metadata_commits c ON c.repo_id = u.repo_id AND c.sha = u.sha
       WHERE u.repo_id = ? AND u.unreadable = 0 AND c.is_merge = 0 AND c.is_shallow_boundary = 0 AND c.is_unreachable = 0
         AND NOT EXISTS (SELECT 1 FROM event_commit_outcomes o WHERE o.repo_id = u.repo_id AND o.sha = u.sha)`,
    )
    .get<{ at: number | null }>([repoId])?.at;
  const times = [queued, pending].filter((t): t is number => t !== null && t !== undefined);
  return times.length > 0 ? Math.min(...times) : null;
}

/** Replays asked for before `through` (seconds) are done. */
export function replayDone(db: Database, repoId: string, through: number): void {
  db.prepare(`DELETE FROM paceflow_attribution_from WHERE repo_id = ? AND at <= ?`).run([repoId, through]);
}

/** Asks for commits from `at` (seconds) to be attributed again. */
export function replayFromAt(db: Database, repoId: string, at: number): void {
  db.prepare(`INSERT OR IGNORE INTO paceflow_attribution_from (repo_id, at) VALUES (?, ?)`).run([repoId, at]);
}

/** paceflow_ai_lines' index by written path, as sql/011 makes it. */
const BY_WRITE_PATH = 'paceflow_ai_lines_by_write_path';
const BY_WRITE_PATH_INDEX = `CREATE INDEX ${BY_WRITE_PATH} ON paceflow_ai_lines (repo_id, write_path)`;

const takingsIndexed = (db: Database) => hasIndex(db, BY_WRITE_PATH);

/** An index a first replay may put off: its name and the SQL its migration made it with. */
interface PutOffIndex {
  name: string;
  sql: string;
}

/**
 * The indexes a first replay writes without, table by table. The takings' index by written path
 * is read only by a later replay's storedTakings. event_commit_outcomes' index by state and its
 * heavy rows end in the row's sha (an index entry ends in its table's key), so each outcome row a
 * batch inserts put an entry on a random page of each: on the 80k bench history's first run 46k
 * and 8.6k of attribution's 191k WAL frames, the outcome rows themselves 60k. No statement of the
 * replay reads them (its reads of outcome rows are by sha). The table's other indexes are partial
 * ones no new row enters (a window, a copy, an unmerged commit: set by the outcome build).
 */
const PUT_OFF: readonly { table: string; indexes: readonly PutOffIndex[] }[] = [
  { table: 'paceflow_ai_lines', indexes: [{ name: BY_WRITE_PATH, sql: BY_WRITE_PATH_INDEX }] },
  {
    table: 'event_commit_outcomes',
    indexes: [
      // As sql/010 makes them.
      {
        name: 'event_commit_outcomes_by_state',
        sql: 'CREATE INDEX event_commit_outcomes_by_state ON event_commit_outcomes (repo_id, merged_to_mainline, mainline_via, reverted_later)',
      },
      {
        name: 'event_commit_outcomes_heavy',
        sql: 'CREATE INDEX event_commit_outcomes_heavy ON event_commit_outcomes (repo_id, sha) WHERE heavy_ai = 1',
      },
    ],
  },
];

/**
 * A replay of many commits (`large`: more than one batch) onto a table with no row at all — a
 * first run — writes that table without the indexes PUT_OFF names and makes them once at the end,
 * one sort each: kept current row by row, the takings' index by written path put each row on a
 * random page of a 110 MB index (350k of the 860k write calls of the 80k bench history's first
 * attribution), and the outcome rows' indexes by state and of heavy rows 55k of its 191k WAL
 * frames. The replay's transactions are many, so a run killed before the end leaves the indexes
 * unmade: every other replay makes them first, if they are missing. Returns what the replay calls
 * when its rows are written (nothing to do when every index stayed).
 */
export function indexesAfterFirstReplay(db: Database, large: boolean): () => void {
  const empty = (table: string) => db.prepare(`SELECT 1 AS x FROM ${table} LIMIT 1`).get() === undefined;
  const putOff = PUT_OFF.filter((t) => large && empty(t.table)).flatMap((t) => t.indexes);
  const make = (indexes: readonly PutOffIndex[]) => {
    const missing = indexes.filter((i) => !hasIndex(db, i.name));
    if (missing.length > 0)
      db.transaction(() =>
        withSortsSpilledEarly(db, () => {
          for (const i of missing) db.exec(i.sql);
        }),
      );
  };
  make(PUT_OFF.flatMap((t) => t.indexes).filter((i) => !putOff.includes(i)));
  const made = putOff.filter((i) => hasIndex(db, i.name));
  if (made.length > 0)
    db.transaction(() => {
      for (const i of made) db.exec(`DROP INDEX ${i.name}`);
    });
  return putOff.length === 0 ? () => {} : () => make(putOff);
}

/** The commits that took writes from second `from` on (a replay from there does them again). */
export function commitsWithTakingsFrom(db: Database, repoId: string, from: number): string[] {
  // The commits since then by the time index (committed_at is toISOString()'s text, whole seconds),
  // each asked whether it took anything: not every taking of the repository read.
  return db
    .prepare(
      `SELECT c.sha FROM metadata_commits c WHERE c.repo_id = ? AND c.committed_at >= ?
         AND EXISTS (SELECT 1 FROM paceflow_ai_lines t WHERE t.repo_id = c.repo_id AND t.sha = c.sha)`,
    )
    .all<{ sha: string }>([repoId, isoSeconds(from)])
    .map((r) => r.sha);
}

/**
 * The takings of every commit but `except` in the given written paths (null: all), as
 * (edit, written path, line) → how many: the writes already used when the replay starts.
 * `before`: only commits ordered before this commit (committed_at, sha) — what `show` replays.
 */
export function storedTakings(
  db: Database,
  repoId: string,
  paths: readonly string[] | null,
  except: { has(sha: string): boolean },
  before?: { committedAt: string; sha: string },
): { editId: string; writePath: string; line: string; n: number }[] {
  const rows: { sha: string; edit_id: string; write_path: string; lines: string; committed_at: string }[] = [];
  const select = `SELECT t.sha, t.edit_id, t.write_path, t.lines, c.committed_at FROM paceflow_ai_lines t
    JOIN metadata_commits c ON c.repo_id = t.repo_id AND c.sha = t.sha`;
  if (paths === null || !takingsIndexed(db)) {
    // Without the index by written path (a first replay puts it off while it writes the takings,
    // or was killed before it made it: indexesAfterFirstReplay) a question per path walked every
    // taking of the repository each time — on a first run 16,582 questions of an empty table
    // (the 80k bench history, ~0.2 s): one walk, kept to the paths asked.
    const wanted = paths === null ? null : new Set(paths);
    for (const r of db.prepare(`${select} WHERE t.repo_id = ?`).iterate<(typeof rows)[number]>([repoId]))
      if (!wanted || wanted.has(r.write_path)) rows.push(r);
  } else {
    // The path's takings by index, then their commits (the planner walked every taking otherwise).
    const byPath = db.prepare(`
      SELECT t.sha, t.edit_id, t.write_path, t.lines, c.committed_at
      FROM paceflow_ai_lines t INDEXED BY ${BY_WRITE_PATH}
      CROSS JOIN metadata_commits c ON c.repo_id = t.repo_id AND c.sha = t.sha
      WHERE t.repo_id = ? AND t.write_path = ?`);
    for (const path of paths) rows.push(...byPath.all<(typeof rows)[number]>([repoId, path]));
  }
  return rows
    .filter((r) => !except.has(r.sha))
    .filter((r) => !before || r.committed_at < before.committedAt || (r.committed_at === before.committedAt && r.sha < before.sha))
    .flatMap((r) => takenLines(r.lines).map(([line, n]) => ({ editId: r.edit_id, writePath: r.write_path, line, n })));
}

/** A row's lines (sql/028): [normalized text, how many] for each distinct text. */
type TakenLines = [line: string, n: number][];

/** The lines a row of paceflow_ai_lines holds, as written by saveTakings (sql/028's `lines`). */
function takenLines(json: string): TakenLines {
  return JSON.parse(json) as TakenLines;
}

/**
 * Replaces a commit's takings; returns whether they changed (churn and release figures follow the
 * AI lines, so a change bumps `ai_lines_gen`). `none`: the caller knows the commit has no takings
 * stored (a replay onto none at all, each commit once) — nothing to read back and compare, or to
 * delete: on a first run that was a query for every commit (44k on the 80k bench history, 64k on
 * git's own) and a delete for every one with takings.
 */
export function saveTakings(
  db: Database,
  repoId: string,
  sha: string,
  takings: readonly Taking[],
  none = false,
  /** A staged replay's tables for the takings and the changed evidence (attribution-stage.ts). */
  staged?: { aiLines: string; churnDirty: string },
): boolean {
  if (none && takings.length === 0) return false;
  // One row per write taken from (sql/028): the edit, the written path, the commit's path; its
  // lines counted by text.
  type Write = { t: Taking; n: number; lines: Map<string, number> };
  const writes = new Map<string, Write>();
  // A write's takings mostly come one after another: the key (a string made per line taken) is
  // made only when the write changes.
  let last: Write | null = null;
  for (const t of takings) {
    let write: Write | null = last;
    if (!write || write.t.editId !== t.editId || write.t.writePath !== t.writePath || write.t.path !== t.path) {
      const key = [t.editId, t.writePath, t.path].join('\0');
      write = writes.get(key) ?? { t, n: 0, lines: new Map<string, number>() };
      writes.set(key, write);
      last = write;
    }
    write.n++;
    write.lines.set(t.line, (write.lines.get(t.line) ?? 0) + 1);
  }
  const rows = [...writes.values()].map(({ t, n, lines }) => ({
    editId: t.editId,
    writePath: t.writePath,
    path: t.path,
    provider: t.provider,
    n,
    lines: [...lines].sort(byText) satisfies TakenLines,
  }));
  if (!none) {
    // Compared as sets of (write, line, how many): the stored JSON is parsed, not matched as text.
    const flat = (r: { editId: string; writePath: string; path: string; provider: string; lines: TakenLines }) =>
      r.lines.map(([line, n]) => [r.editId, r.writePath, r.path, line, r.provider, n].join('\0'));
    const now = rows.flatMap(flat).sort();
    const before = db
      .prepare(`SELECT edit_id, write_path, path, provider, lines FROM paceflow_ai_lines WHERE repo_id = ? AND sha = ?`)
      .all<{ edit_id: string; write_path: string; path: string; provider: string; lines: string }>([repoId, sha])
      .flatMap((r) => flat({ editId: r.edit_id, writePath: r.write_path, path: r.path, provider: r.provider, lines: takenLines(r.lines) }))
      .sort();
    if (now.length === before.length && now.every((k, i) => k === before[i])) return false;
    db.prepare(`DELETE FROM paceflow_ai_lines WHERE repo_id = ? AND sha = ?`).run([repoId, sha]);
    // A commit staged twice (none: not the first time): its earlier rows go (a scan of the stage, never taken so far).
    if (staged) db.prepare(`DELETE FROM ${staged.aiLines} WHERE repo_id = ? AND sha = ?`).run([repoId, sha]);
  }
  const insert = db.prepare(
    `INSERT INTO ${staged?.aiLines ?? 'paceflow_ai_lines'} (repo_id, sha, edit_id, write_path, path, provider, n, lines) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  for (const r of rows) insert.run([repoId, sha, r.editId, r.writePath, r.path, r.provider, r.n, JSON.stringify(r.lines)]);
  evidenceChanged(db, repoId, [sha], staged?.churnDirty);
  db.prepare(
    `INSERT INTO paceflow_meta (key, value) VALUES (?, '1') ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1`,
  ).run([aiLinesGenerationKey(repoId)]);
  return true;
}

const byText = (a: [string, number], b: [string, number]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** Drops the takings of commits no longer attributable (rewritten away); returns the earliest commit time among them, or null. */
export function dropUnreachableTakings(db: Database, repoId: string): string | null {
  const gone = db
    .prepare(
      // From the unreachable commits (few, by index) to their takings: not every taking scanned.
      // (INDEXED BY: for min() the planner walked every commit in time order instead.)
      `SELECT min(c.committed_at) AS at FROM metadata_commits c INDEXED BY metadata_commits_by_state
       CROSS JOIN paceflow_ai_lines t ON t.repo_id = c.repo_id AND t.sha = c.sha
       WHERE c.repo_id = ? AND c.is_unreachable = 1`,
    )
    .get<{ at: string | null }>([repoId])?.at;
  if (!gone) return null;
  db.prepare(
    `DELETE FROM paceflow_ai_lines WHERE repo_id = ? AND sha IN (SELECT sha FROM metadata_commits WHERE repo_id = ? AND is_unreachable = 1)`,
  ).run([repoId, repoId]);
  // Their lines may have been carried by copies anywhere on mainline (rare: history was rewritten).
  allEvidenceChanged(db, repoId);
  db.prepare(
    `INSERT INTO paceflow_meta (key, value) VALUES (?, '1') ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1`,
  ).run([aiLinesGenerationKey(repoId)]);
  return gone;
}

/** Bumped whenever any commit's AI lines change: the churn builder's digest reads it. */
export const aiLinesGenerationKey = (repoId: string) => `ai_lines_gen:${repoId}`;

/**
 * The AI lines of commits (all of the repository's, in the order of sha, path and edit; or these,
 * each commit's in its rows' key order), by commit: path, normalized text, provider.
 */
export function storedAiLines(
  db: Database,
  repoId: string,
  shas?: readonly string[],
): Map<string, { path: string; text: string; provider: string }[]> {
  const out = new Map<string, { path: string; text: string; provider: string }[]>();
  const add = (r: { sha: string; path: string; lines: string; provider: string }) => {
    const list = out.get(r.sha) ?? [];
    for (const [text, n] of takenLines(r.lines)) for (let i = 0; i < n; i++) list.push({ path: r.path, text, provider: r.provider });
    out.set(r.sha, list);
  };
  type Row = { sha: string; path: string; lines: string; provider: string };
  const select = `SELECT sha, path, lines, provider FROM paceflow_ai_lines WHERE repo_id = ?`;
  if (shas === undefined) for (const r of db.prepare(`${select} ORDER BY sha, path, edit_id`).all<Row>([repoId])) add(r);
  else {
    // A commit's writes in the key's order (edit, written path, path): churn counts their lines by
    // path and text, so any order does, and no sorter runs per commit (the 80k bench history's
    // 8,735 commits with AI lines, 429k lines, read one commit at a time: 1.10–1.29 s with the
    // sort, 1.02–1.12 s without, three alternated rounds, when a row was a line).
    const one = db.prepare(`${select} AND sha = ?`);
    for (const sha of shas) for (const r of one.all<Row>([repoId, sha])) add(r);
  }
  return out;
}
