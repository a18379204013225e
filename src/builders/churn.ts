import type { PaceflowConfig } from '../config/config.js';
import type { Database } from '../db/driver.js';
import { readCommitPatches } from '../git/patches.js';
import { isNontrivialLine, normalizeLine } from './lines.js';

/**
 * The churn builder (DESIGN §4): a line that reached mainline at t0 is churned when a mainline
 * commit in (t0, t0 + window] deletes or modifies it. A line whose normalized text the same commit
 * adds back (whitespace-only edits, moves within or across files) is not churn; a revert is.
 * Renames carry lines to the new path.
 *
 * Every mainline commit (a non-merge ancestor of the tip) gets one row: its non-trivial added
 * lines split into AI lines and lines without AI evidence, so the churn summary can set the two
 * side by side (zeros for a commit that adds none).
 * A squash or rebase copy carries the AI lines of the branch commits it stands for. Where only
 * counts are known (a note or trailer, as in CI), each line carries the commit's AI share as its
 * weight and the churned lines split in that proportion.
 *
 * One forward pass over mainline in landing order, from the earliest commit whose row is missing,
 * still inside its window, or out of date; rows whose window closed stay as they are.
 */
export async function buildChurn(options: {
  db: Database;
  repoId: string;
  cwd: string;
  /** Line-level AI evidence (from transcripts) per commit: path and normalized text. */
  aiLines: ReadonlyMap<string, readonly { path: string; text: string }[]>;
  config: Pick<PaceflowConfig, 'churnWindowDays'>;
  now?: Date;
  /** Only lines in these paths count (a pathspec-scoped report). */
  pathScope?: ReadonlySet<string>;
}): Promise<{ commits: number; churned: number; aiChurned: number }> {
  const { db, repoId, cwd, aiLines, config, pathScope } = options;
  const now = (options.now ?? new Date()).getTime();
  const windowMs = config.churnWindowDays * 86400e3;
  const inScope = (path: string) => !pathScope || pathScope.has(path);

  const mainline = db
    .prepare(
      // Times in ms from SQLite (second resolution is plenty for windows of days, and cheaper
      // than Date.parse on every mainline commit of every run).
      `SELECT sha, unixepoch(reached_mainline_at) * 1000 AS at, unixepoch(committed_at) * 1000 AS committed,
         nontrivial_added_lines AS n, ai_lines FROM event_commit_outcomes
       WHERE repo_id = ? AND mainline_via = 'ancestor' AND reached_mainline_at IS NOT NULL`,
    )
    .all<{ sha: string; at: number; committed: number; n: number; ai_lines: number }>([repoId])
    .sort((a, b) => a.at - b.at || a.committed - b.committed || (a.sha < b.sha ? -1 : a.sha > b.sha ? 1 : 0));
  const copies = new Map<string, { sha: string; ai_lines: number }[]>();
  for (const c of db
    .prepare(
      `SELECT sha, mainline_sha, ai_lines FROM event_commit_outcomes
       WHERE repo_id = ? AND merged_to_mainline = 1 AND mainline_via <> 'ancestor' AND mainline_sha IS NOT NULL`,
    )
    .all<{ sha: string; mainline_sha: string; ai_lines: number }>([repoId])) {
    const list = copies.get(c.mainline_sha);
    if (list) list.push(c);
    else copies.set(c.mainline_sha, [c]);
  }
  /** The AI evidence a mainline commit carries: exact lines, else a count to spread as a share. */
  const evidence = (m: { sha: string; ai_lines: number }): { lines: { path: string; text: string }[] } | { count: number } => {
    const own = aiLines.get(m.sha) ?? [];
    if (own.length > 0) return { lines: [...own] };
    const carried = copies.get(m.sha) ?? [];
    const exact = carried.flatMap((c) => aiLines.get(c.sha) ?? []);
    if (exact.length > 0) return { lines: exact };
    return { count: m.ai_lines > 0 ? m.ai_lines : carried.reduce((n, c) => n + c.ai_lines, 0) };
  };

  const stored = new Map(
    db
      .prepare(`SELECT sha, window_days, window_closed FROM event_commit_churn WHERE repo_id = ?`)
      .all<{ sha: string; window_days: number; window_closed: number }>([repoId])
      .map((r) => [r.sha, r]),
  );
  // A stored row whose commit left mainline means mainline was rewritten: rebuild every row.
  const onMainline = new Set(mainline.map((m) => m.sha));
  const rewritten = [...stored.keys()].some((sha) => !onMainline.has(sha));
  // Rows are final once their window closed, unless the AI evidence behind them changed.
  const evidenceKey = `churn_evidence:${repoId}`;
  const fingerprint = new Map(
    mainline.map((m) => {
      const e = evidence(m);
      return [m.sha, 'lines' in e ? `l${e.lines.length}` : `c${e.count}`] as const;
    }),
  );
  const storedEvidence = db.prepare(`SELECT value FROM paceflow_meta WHERE key = ?`).get<{ value: string }>([evidenceKey])?.value ?? '[]';
  const previous = new Map<string, string>(JSON.parse(storedEvidence));
  const subjects = new Set(
    mainline
      .filter((m) => {
        const row = stored.get(m.sha);
        return (
          rewritten ||
          !row ||
          row.window_closed === 0 ||
          row.window_days !== config.churnWindowDays ||
          (previous.get(m.sha) ?? 'c0') !== fingerprint.get(m.sha)
        );
      })
      .map((m) => m.sha),
  );
  const evidenceNow = JSON.stringify([...fingerprint].filter(([, f]) => f !== 'c0'));
  // Written only when it changed: a re-run with nothing new writes nothing here.
  const saveEvidence = () => {
    if (evidenceNow !== storedEvidence) {
      db.prepare(`INSERT INTO paceflow_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run([
        evidenceKey,
        evidenceNow,
      ]);
    }
  };

  if (subjects.size === 0) {
    if (evidenceNow !== storedEvidence) db.transaction(() => saveEvidence());
    return { commits: 0, churned: 0, aiChurned: 0 };
  }
  const first = mainline.findIndex((m) => subjects.has(m.sha));
  // Mainline is in landing order: the last subject starts the last window (no spread: 100k+ args overflow).
  const lastStart = mainline.findLast((m) => subjects.has(m.sha))!.at;
  const pass = mainline.slice(first).filter((m) => m.at <= lastStart + windowMs);
  const byShaInPass = new Map(pass.map((m) => [m.sha, m]));

  interface Subject {
    sha: string;
    at: number;
    lines: number;
    aiWeight: number;
    churned: number;
    aiChurned: number;
  }
  interface LiveLine {
    subject: Subject;
    weight: number;
  }
  // path → normalized text → lines still present, newest last.
  const live = new Map<string, Map<string, LiveLine[]>>();
  const results: Subject[] = [];

  /** Lines whose window closed can no longer churn: dropping them keeps memory to one window. */
  const sweep = (at: number) => {
    for (const [path, byText] of live) {
      for (const [text, lines] of byText) {
        const open = lines.filter((l) => l.subject.at + windowMs >= at);
        if (open.length === 0) byText.delete(text);
        else if (open.length !== lines.length) byText.set(text, open);
      }
      if (byText.size === 0) live.delete(path);
    }
  };
  let seen = 0;
  for await (const patch of readCommitPatches(
    pass.map((m) => m.sha),
    { cwd },
  )) {
    const m = byShaInPass.get(patch.sha);
    if (!m) continue;
    if (++seen % 2000 === 0) sweep(m.at);
    // 1. What this commit removes from earlier subjects' lines, unless it adds the same text back.
    const addedAnywhere = new Map<string, number>();
    for (const f of patch.files)
      for (const a of f.added) {
        const key = normalizeLine(a);
        addedAnywhere.set(key, (addedAnywhere.get(key) ?? 0) + 1);
      }
    for (const f of patch.files) {
      const from = f.oldPath ?? f.path;
      const byText = live.get(from);
      if (!byText) continue;
      for (const r of f.removed) {
        const key = normalizeLine(r);
        const candidates = byText.get(key);
        if (!candidates || candidates.length === 0) continue;
        const readded = addedAnywhere.get(key) ?? 0;
        if (readded > 0) {
          addedAnywhere.set(key, readded - 1); // moved or reformatted: not churn
          continue;
        }
        const line = candidates.pop()!;
        if (candidates.length === 0) byText.delete(key);
        const s = line.subject;
        if (m.at > s.at && m.at <= s.at + windowMs) {
          s.churned++;
          s.aiChurned += line.weight;
        }
      }
      if (f.oldPath && f.oldPath !== f.path) {
        live.delete(f.oldPath);
        const into = live.get(f.path);
        if (into) for (const [text, lines] of byText) into.set(text, [...(into.get(text) ?? []), ...lines]);
        else live.set(f.path, byText);
      }
    }
    // 2. This commit's own lines, when it is a subject.
    if (!subjects.has(m.sha)) continue;
    const e = evidence(m);
    const exact = new Map<string, number>();
    if ('lines' in e) for (const l of e.lines) exact.set(`${l.path}\0${l.text}`, (exact.get(`${l.path}\0${l.text}`) ?? 0) + 1);
    // A commit that adds nothing still gets its (empty) row: the rows name every mainline commit,
    // which is how a rewritten mainline is noticed.
    const added = patch.files.flatMap((f) =>
      inScope(f.path) ? f.added.filter(isNontrivialLine).map((text) => ({ path: f.path, text: normalizeLine(text) })) : [],
    );
    const share = 'count' in e ? Math.min(1, e.count / Math.max(m.n, 1)) : 0;
    const subject: Subject = { sha: m.sha, at: m.at, lines: added.length, aiWeight: 0, churned: 0, aiChurned: 0 };
    for (const a of added) {
      let weight = share;
      if ('lines' in e) {
        const key = `${a.path}\0${a.text}`;
        const n = exact.get(key) ?? 0;
        weight = n > 0 ? 1 : 0;
        if (n > 0) exact.set(key, n - 1);
      }
      subject.aiWeight += weight;
      let byText = live.get(a.path);
      if (!byText) {
        byText = new Map();
        live.set(a.path, byText);
      }
      const same = byText.get(a.text);
      if (same) same.push({ subject, weight });
      else byText.set(a.text, [{ subject, weight }]);
    }
    results.push(subject);
  }

  const insert = db.prepare(`
    INSERT INTO event_commit_churn
      (repo_id, sha, window_days, ai_lines_reaching_mainline, ai_lines_churned, nonai_lines_reaching_mainline, nonai_lines_churned, window_closed)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (repo_id, sha) DO UPDATE SET
      window_days = excluded.window_days, ai_lines_reaching_mainline = excluded.ai_lines_reaching_mainline,
      ai_lines_churned = excluded.ai_lines_churned, nonai_lines_reaching_mainline = excluded.nonai_lines_reaching_mainline,
      nonai_lines_churned = excluded.nonai_lines_churned, window_closed = excluded.window_closed`);
  let churned = 0;
  let aiChurned = 0;
  db.transaction(() => {
    if (rewritten) db.prepare(`DELETE FROM event_commit_churn WHERE repo_id = ?`).run([repoId]);
    for (const s of results) {
      const ai = Math.round(s.aiWeight);
      const aiGone = Math.min(ai, Math.round(s.aiChurned));
      churned += s.churned;
      aiChurned += aiGone;
      insert.run([repoId, s.sha, config.churnWindowDays, ai, aiGone, s.lines - ai, s.churned - aiGone, now >= s.at + windowMs ? 1 : 0]);
    }
    saveEvidence();
  });
  return { commits: results.length, churned, aiChurned };
}
