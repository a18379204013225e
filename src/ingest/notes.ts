import type { Database } from '../db/driver.js';
import { repositoryRows } from '../db/count.js';
import {
  NOTES_REFS,
  PACEFLOW_NOTES_REF,
  ensureNotesFollowRewrites,
  notesRefTips,
  readNotes,
  type NotesWrite,
  storedNoteText,
  writeNotesBatch,
} from '../git/notes.js';
import type { GitOptions } from '../git/run.js';
import { committerIdent, type RepositorySettings } from '../git/settings.js';

/**
 * Reads paceflow's and git-ai's notes of the repository into fact_commit_notes, as found. A notes
 * ref that still points at the notes commit the last read saw (and whose rows are all there) is
 * not read again: one `for-each-ref` instead of listing and reading every note after each commit.
 * Returns how many notes the repository has.
 */
export async function ingestNotes(
  db: Database,
  repoId: string,
  cwd: string,
  now = new Date().toISOString(),
  /** The notes refs' tips when the caller listed them already (git ingest does, with the refs). */
  listed?: ReadonlyMap<string, string>,
): Promise<{ notes: number; changed: number }> {
  const tips = listed ?? (await notesRefTips(cwd, NOTES_REFS));
  const seenKey = (ref: string) => notesSeenKey(repoId, ref);
  const seen = db.prepare(`SELECT value FROM paceflow_meta WHERE key = ?`);
  const insert = db.prepare(`
    INSERT INTO fact_commit_notes (repo_id, sha, notes_ref, note_text, read_at) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (repo_id, sha, notes_ref) DO UPDATE SET note_text = excluded.note_text, read_at = excluded.read_at
    WHERE excluded.note_text <> fact_commit_notes.note_text`);
  const forget = db.prepare(`DELETE FROM fact_commit_notes WHERE repo_id = ? AND notes_ref = ? AND sha = ?`);
  const known = db.prepare(`SELECT sha FROM fact_commit_notes WHERE repo_id = ? AND notes_ref = ?`);
  const remember = db.prepare(
    `INSERT INTO paceflow_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
  );
  let total = 0;
  // Rows this read added, changed or removed: a notes ref that moved because paceflow wrote to it
  // (the run before this one) holds what the database has already, and changes none.
  let changed = 0;
  for (const ref of NOTES_REFS) {
    const tip = tips.get(ref) ?? '';
    const count = notesRows(db, repoId, ref);
    if (seen.get<{ value: string }>([seenKey(ref)])?.value === `${tip} ${count}`) {
      total += count;
      continue;
    }
    const notes = tip ? await readNotes(cwd, ref) : new Map<string, string>();
    db.transaction(() => {
      for (const { sha } of known.all<{ sha: string }>([repoId, ref]))
        if (!notes.has(sha)) changed += forget.run([repoId, ref, sha]).changes;
      for (const [sha, text] of notes) changed += insert.run([repoId, sha, ref, text, now]).changes;
      remember.run([seenKey(ref), `${tip} ${notesRows(db, repoId, ref)}`]);
    });
    total += notes.size;
  }
  return { notes: total, changed };
}

/**
 * What ingestNotes last read of a notes ref, as `<tip> <rows>` (the tip '' when the ref was absent):
 * while the ref's tip and the database's rows of it are those, the ref is not read again.
 */
const notesSeenKey = (repoId: string, ref: string) => `notes_seen:${repoId}:${ref}`;

/** A ref's notes rows of the repository, kept by triggers (sql/029): counted, 8,735 rows' index read after every commit. */
const notesRows = (db: Database, repoId: string, ref: string) => repositoryRows(db, `fact_commit_notes:${ref}`, repoId);

/** The notes attribution owes the repository (paceflow_owed_notes), oldest first by commit. */
export function owedNotes(db: Database, repoId: string): { sha: string; text: string }[] {
  return db
    .prepare(`SELECT sha, note_text AS text FROM paceflow_owed_notes WHERE repo_id = ? ORDER BY sha`)
    .all<{ sha: string; text: string }>([repoId]);
}

/** Writes the notes attribution asked for, records them as read and no longer owed. */
export async function writeNotes(
  db: Database,
  repoId: string,
  cwd: string,
  notes: readonly { sha: string; text: string }[],
): Promise<number> {
  return (await startNotesWrite(db, repoId, cwd, notes))();
}

/**
 * writeNotes in its two halves: git's, started now, which reads and writes no row while it runs,
 * and the record of what git did, which the promise gives to run (synchronously) when the caller
 * chooses. The pipeline records it after its last builder, so the write's git processes (~0.15 s
 * after each AI-written commit, mostly waiting on git) run beside the outcome, churn and task
 * builders instead of before them. Until recorded the notes stay owed: a run killed in between
 * writes them again (git then holds the same notes; the ref moves on).
 */
export function startNotesWrite(
  db: Database,
  repoId: string,
  cwd: string,
  notes: readonly { sha: string; text: string }[],
  counted: Pick<GitOptions, 'onSpawn'> = {},
  /** The repository's settings as the run read them: no `git config`, no `git var` of the write's own. */
  settings?: RepositorySettings,
): Promise<() => number> {
  if (notes.length === 0) return Promise.resolve(() => 0);
  const seen = db.prepare(`SELECT value FROM paceflow_meta WHERE key = ?`);
  const key = notesSeenKey(repoId, PACEFLOW_NOTES_REF);
  // The tip the rows hold every note of (the mark of the last read, its row count still the
  // rows'): the write builds on it without asking git for the ref first (writeNotesBatch).
  const mark = seen.get<{ value: string }>([key])?.value.split(' ');
  const expectedTip = mark?.length === 2 && mark[1] === String(notesRows(db, repoId, PACEFLOW_NOTES_REF)) ? mark[0] || null : undefined;
  // Two independent git processes at once: the rewrite setting, and the write.
  const git = Promise.all([
    ensureNotesFollowRewrites(cwd, PACEFLOW_NOTES_REF, counted, settings?.notesRewriteRefs),
    writeNotesBatch(
      cwd,
      PACEFLOW_NOTES_REF,
      notes.map((n) => ({ commit: n.sha, text: n.text })),
      expectedTip,
      counted,
      settings ? committerIdent(settings) : null,
    ),
  ]);
  return git.then(
    ([, written]) =>
      () =>
        recordNotesWritten(db, repoId, notes, written),
  );
}

/** Records notes git now holds as read, and no longer owed. */
function recordNotesWritten(
  db: Database,
  repoId: string,
  notes: readonly { sha: string; text: string }[],
  written: NotesWrite | null,
): number {
  const record = db.prepare(`
    INSERT INTO fact_commit_notes (repo_id, sha, notes_ref, note_text, read_at) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (repo_id, sha, notes_ref) DO UPDATE SET note_text = excluded.note_text, read_at = excluded.read_at`);
  const now = new Date().toISOString();
  const seen = db.prepare(`SELECT value FROM paceflow_meta WHERE key = ?`);
  const remember = db.prepare(
    `INSERT INTO paceflow_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
  );
  const key = notesSeenKey(repoId, PACEFLOW_NOTES_REF);
  // Recorded as git keeps it. A note attribution owed is its own finding: not queued for
  // attribution again. Any other (the Action's carried notes) is new evidence: its commit is.
  const settled = db.prepare(`DELETE FROM paceflow_unattributed WHERE repo_id = ? AND sha = ?`);
  const paid = db.prepare(`DELETE FROM paceflow_owed_notes WHERE repo_id = ? AND sha = ?`);
  db.transaction(() => {
    // The rows held every note of the tip this write built on (the mark says so), and git's new tip
    // is that one with these notes: the next run need not read the ref again. It read every note
    // after each run that wrote one — 8,735 notes after each AI-written commit on the 80k bench
    // history, a number that only grows. Another writer in between (the new commit's parent is
    // not the tip read), or rows that changed since the write began, leave the mark, and the next
    // run reads the ref.
    const inSync =
      written !== null &&
      written.parent === written.before &&
      seen.get<{ value: string }>([key])?.value === `${written.before ?? ''} ${notesRows(db, repoId, PACEFLOW_NOTES_REF)}`;
    for (const note of notes) {
      record.run([repoId, note.sha, PACEFLOW_NOTES_REF, storedNoteText(note.text), now]);
      if (paid.run([repoId, note.sha]).changes > 0) settled.run([repoId, note.sha]);
    }
    if (inSync) remember.run([key, `${written.after} ${notesRows(db, repoId, PACEFLOW_NOTES_REF)}`]);
  });
  return notes.length;
}
