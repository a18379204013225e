import type { Database } from '../db/driver.js';
import { GIT_AI_NOTES_REF, PACEFLOW_NOTES_REF, ensureNotesFollowRewrites, readNotes, writeNote } from '../git/notes.js';

/** Reads paceflow's and git-ai's notes of the repository into fact_commit_notes, as found. */
export async function ingestNotes(db: Database, repoId: string, cwd: string, now = new Date().toISOString()): Promise<number> {
  const [paceflow, gitAi] = await Promise.all([readNotes(cwd, PACEFLOW_NOTES_REF), readNotes(cwd, GIT_AI_NOTES_REF)]);
  const insert = db.prepare(`
    INSERT INTO fact_commit_notes (repo_id, sha, notes_ref, note_text, read_at) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (repo_id, sha, notes_ref) DO UPDATE SET note_text = excluded.note_text, read_at = excluded.read_at
    WHERE excluded.note_text <> fact_commit_notes.note_text`);
  const forget = db.prepare(`DELETE FROM fact_commit_notes WHERE repo_id = ? AND notes_ref = ? AND sha = ?`);
  const known = db.prepare(`SELECT sha FROM fact_commit_notes WHERE repo_id = ? AND notes_ref = ?`);
  db.transaction(() => {
    for (const [ref, notes] of [
      [PACEFLOW_NOTES_REF, paceflow],
      [GIT_AI_NOTES_REF, gitAi],
    ] as const) {
      for (const { sha } of known.all<{ sha: string }>([repoId, ref])) if (!notes.has(sha)) forget.run([repoId, ref, sha]);
      for (const [sha, text] of notes) insert.run([repoId, sha, ref, text, now]);
    }
  });
  return paceflow.size + gitAi.size;
}

/** Writes the notes attribution asked for, and records them as read. */
export async function writeNotes(
  db: Database,
  repoId: string,
  cwd: string,
  notes: readonly { sha: string; text: string }[],
): Promise<number> {
  if (notes.length === 0) return 0;
  await ensureNotesFollowRewrites(cwd);
  const record = db.prepare(`
    INSERT INTO fact_commit_notes (repo_id, sha, notes_ref, note_text, read_at) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (repo_id, sha, notes_ref) DO UPDATE SET note_text = excluded.note_text, read_at = excluded.read_at`);
  const now = new Date().toISOString();
  for (const note of notes) {
    await writeNote(cwd, PACEFLOW_NOTES_REF, note.sha, note.text);
    record.run([repoId, note.sha, PACEFLOW_NOTES_REF, note.text, now]);
  }
  return notes.length;
}
