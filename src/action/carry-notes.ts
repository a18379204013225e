import { composeNoteFromHashed, hashSessionId } from '../builders/notes.js';
import type { Database } from '../db/driver.js';

/**
 * After a squash or rebase merge, the new mainline commits carry none of the notes their pull
 * request's commits had. For each new mainline commit without a paceflow note, the attribution of
 * the branch commits it stands for (outcomes' mainline_sha) becomes its note, capped at its own
 * non-trivial lines. Returns the notes to write.
 */
export function notesToCarry(
  db: Database,
  repoId: string,
  mainlineCommits: readonly string[],
  tool: string,
): { sha: string; text: string }[] {
  const hasNote = db.prepare(`SELECT 1 FROM fact_commit_notes WHERE repo_id = ? AND sha = ? AND notes_ref = 'refs/notes/paceflow'`);
  const own = db.prepare(`SELECT nontrivial_added_lines AS n FROM event_commit_outcomes WHERE repo_id = ? AND sha = ?`);
  const carried = db.prepare(`
    SELECT a.provider, a.model, a.session_id, a.source, sum(a.matched_lines) AS lines
    FROM event_commit_outcomes o
    JOIN event_commit_attributions a ON a.repo_id = o.repo_id AND a.sha = o.sha
    WHERE o.repo_id = ? AND o.mainline_sha = ? AND o.sha <> o.mainline_sha AND a.source IN ('transcript', 'note')
    GROUP BY a.provider, a.model, a.session_id, a.source
    ORDER BY a.provider, a.session_id`);
  const notes: { sha: string; text: string }[] = [];
  for (const sha of mainlineCommits) {
    if (hasNote.get([repoId, sha])) continue;
    const nontrivial = own.get<{ n: number }>([repoId, sha])?.n ?? 0;
    const credits = carried
      .all<{ provider: string; model: string | null; session_id: string; source: 'transcript' | 'note'; lines: number }>([repoId, sha])
      // Sessions from notes are already hashed; ids from local transcripts never leave unhashed.
      .map((c) => ({
        provider: c.provider,
        model: c.model,
        session: c.source === 'note' ? c.session_id : hashSessionId(c.session_id),
        lines: c.lines,
      }));
    const total = credits.reduce((n, c) => n + c.lines, 0);
    if (nontrivial === 0 || total === 0) continue;
    const scale = Math.min(1, nontrivial / total);
    const scaled = credits.map((c) => ({ ...c, lines: Math.floor(c.lines * scale) })).filter((c) => c.lines > 0);
    if (scaled.length > 0) notes.push({ sha, text: composeNoteFromHashed(tool, nontrivial, scaled) });
  }
  return notes;
}
