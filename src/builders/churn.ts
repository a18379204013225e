import type { PaceflowConfig } from '../config/config.js';
import type { Database } from '../db/driver.js';
import { readCommitPatches, type CommitPatch } from '../git/patches.js';
import { normalizeLine } from './lines.js';

/**
 * The churn builder (DESIGN §4): an AI line that reached mainline at t0 is churned when a mainline
 * commit in (t0, t0 + window] deletes or modifies it. A line whose normalized text the same commit
 * adds back (whitespace-only edits, moves within or across files) is not churn; a revert is.
 * Renames carry lines to the new path. One row per commit whose AI lines reached mainline.
 */
export async function buildChurn(options: {
  db: Database;
  repoId: string;
  cwd: string;
  aiLines: ReadonlyMap<string, readonly { path: string; text: string }[]>;
  config: Pick<PaceflowConfig, 'churnWindowDays'>;
  now?: Date;
}): Promise<{ commits: number; churned: number }> {
  const { db, repoId, cwd, aiLines, config } = options;
  const now = (options.now ?? new Date()).getTime();
  const windowMs = config.churnWindowDays * 86400e3;
  const outcomes = db
    .prepare(`SELECT sha, reached_mainline_at FROM event_commit_outcomes WHERE repo_id = ? AND merged_to_mainline = 1 AND reached_mainline_at IS NOT NULL`)
    .all<{ sha: string; reached_mainline_at: string }>([repoId]);
  const reachedAt = new Map(outcomes.map((o) => [o.sha, Date.parse(o.reached_mainline_at)]));
  const subjects = [...aiLines.keys()].filter((sha) => reachedAt.has(sha) && (aiLines.get(sha)?.length ?? 0) > 0);

  // Mainline commits that could churn them: landed after the first AI commit, within the window of
  // the last, touching a path that holds AI lines.
  const paths = new Set(subjects.flatMap((sha) => aiLines.get(sha)!.map((l) => l.path)));
  const starts = subjects.map((s) => reachedAt.get(s)!).sort((a, b) => a - b);
  /** Whether some AI commit's window (t0, t0 + window] holds this time: the latest t0 before it decides. */
  const inSomeWindow = (at: number) => {
    let lo = 0;
    let hi = starts.length - 1;
    let best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid]! < at) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return best >= 0 && at <= starts[best]! + windowMs;
  };
  const later = [...reachedAt.entries()].filter(([, at]) => inSomeWindow(at)).map(([sha]) => sha);
  const touching = db.prepare(`SELECT path, old_path FROM metadata_commit_file_changes WHERE repo_id = ? AND sha = ?`);
  const candidates = later.filter((sha) =>
    touching.all<{ path: string; old_path: string | null }>([repoId, sha]).some((f) => paths.has(f.path) || (f.old_path !== null && paths.has(f.old_path))),
  );
  const patches = new Map<string, CommitPatch>();
  for await (const patch of readCommitPatches(candidates, { cwd })) patches.set(patch.sha, patch);
  const ordered = candidates.filter((sha) => patches.has(sha)).sort((a, b) => reachedAt.get(a)! - reachedAt.get(b)! || a.localeCompare(b));

  const clear = db.prepare(`DELETE FROM event_commit_churn WHERE repo_id = ?`);
  const insert = db.prepare(`
    INSERT INTO event_commit_churn (repo_id, sha, window_days, ai_lines_reaching_mainline, ai_lines_churned, window_closed)
    VALUES (?, ?, ?, ?, ?, ?)`);
  let churnedTotal = 0;
  db.transaction(() => {
    clear.run([repoId]);
    for (const sha of subjects) {
      const t0 = reachedAt.get(sha)!;
      // Live AI lines of this commit: path → normalized text → count.
      const live = new Map<string, Map<string, number>>();
      for (const l of aiLines.get(sha)!) {
        const byText = live.get(l.path) ?? new Map<string, number>();
        byText.set(l.text, (byText.get(l.text) ?? 0) + 1);
        live.set(l.path, byText);
      }
      let churned = 0;
      // First later commit by binary search, then walk until the window ends.
      let lo = 0;
      let hi = ordered.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (reachedAt.get(ordered[mid]!)! <= t0) lo = mid + 1;
        else hi = mid;
      }
      for (let i = lo; i < ordered.length; i++) {
        const m = ordered[i]!;
        const at = reachedAt.get(m)!;
        if (at > t0 + windowMs) break;
        if (m === sha) continue;
        const patch = patches.get(m)!;
        const addedAnywhere = new Map<string, number>();
        for (const f of patch.files) for (const a of f.added) {
          const key = normalizeLine(a);
          addedAnywhere.set(key, (addedAnywhere.get(key) ?? 0) + 1);
        }
        for (const f of patch.files) {
          const from = f.oldPath ?? f.path;
          const lines = live.get(from);
          if (!lines) continue;
          for (const r of f.removed) {
            const key = normalizeLine(r);
            const n = lines.get(key) ?? 0;
            if (n === 0) continue;
            const readded = addedAnywhere.get(key) ?? 0;
            if (readded > 0) {
              addedAnywhere.set(key, readded - 1); // moved or reformatted: not churn
              continue;
            }
            lines.set(key, n - 1);
            churned++;
          }
          if (f.oldPath && f.oldPath !== f.path) {
            live.delete(f.oldPath);
            live.set(f.path, lines);
          }
        }
      }
      churnedTotal += churned;
      insert.run([repoId, sha, config.churnWindowDays, aiLines.get(sha)!.length, churned, now >= t0 + windowMs ? 1 : 0]);
    }
  });
  return { commits: subjects.length, churned: churnedTotal };
}
