import type { PaceflowConfig } from '../config/config.js';
import type { Database } from '../db/driver.js';
import { type PatchStore, readPatches } from '../git/patch-store.js';
import { type KeyedFile, keyedFiles, letGo } from '../git/record-patches.js';
import {
  churnInputs,
  type Evidence,
  evidenceFinder,
  evidenceLookUpFor,
  inputsKey,
  type MainlineCommit,
  mainlineBetween,
  planChurn,
  saveEvidence,
  stageMainline,
  stageSince,
} from './churn/evidence.js';
import { type ChurnSubject, LiveLines } from './churn/live-lines.js';
import { storedAiLines } from './attribution-replay.js';
import { NORMAL_LINE_KEY } from './line-keys.js';
import { isNontrivialRange, normalLineHash } from './lines.js';
import { collectIfGrown } from '../heap.js';

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
  config: Pick<PaceflowConfig, 'churnWindowDays'>;
  now?: Date;
  /** Only lines in these paths count (a pathspec-scoped report). */
  pathScope?: ReadonlySet<string>;
  /** The diffs this run read so far (a first run: every commit's): the pass takes them before asking git. */
  patches?: PatchStore;
}): Promise<{ commits: number; churned: number; aiChurned: number }> {
  const { db, repoId, cwd, config } = options;
  const windowMs = config.churnWindowDays * 86400e3;
  const now = (options.now ?? new Date()).getTime();
  const inputs = churnInputs(db, repoId, config.churnWindowDays);
  // Taken again after the rows are written: the digest counts them.
  const saveInputs = () =>
    db
      .prepare(`INSERT INTO paceflow_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`)
      .run([inputsKey(repoId), churnInputs(db, repoId, config.churnWindowDays)]);
  if (db.prepare(`SELECT value FROM paceflow_meta WHERE key = ?`).get<{ value: string }>([inputsKey(repoId)])?.value === inputs) {
    db.transaction(() => closeWindows(db, repoId, windowMs, now));
    return { commits: 0, churned: 0, aiChurned: 0 };
  }
  // After mainline only moved forward (or stayed), the commits a window can reach from what changed; else all.
  // A path-scoped build (a copy of the database, its rows emptied) stages everything.
  const since = options.pathScope ? null : stageSince(db, repoId, config.churnWindowDays);
  const staged = since === null ? 'all' : 'since';
  stageMainline(db, repoId, since ?? undefined);
  const plan = planChurn(db, repoId, config.churnWindowDays, staged);
  const save = () => saveEvidence(db, repoId, staged, config.churnWindowDays, now);
  if (plan.subjects.size === 0) {
    db.transaction(() => {
      save();
      saveInputs();
    });
    return { commits: 0, churned: 0, aiChurned: 0 };
  }
  // The pass: mainline in landing order from the first subject to the end of the last subject's
  // window (the commits landed at the first subject's time before it in order are left out).
  const mainline = mainlineBetween(db, plan.firstAt, plan.lastAt + windowMs);
  const pass = mainline.slice(mainline.findIndex((m) => plan.subjects.has(m.sha)));
  // The AI lines attribution kept (paceflow_ai_lines): read for the subjects only.
  const evidence = evidenceFinder(db, repoId, (shas) => storedAiLines(db, repoId, shas), evidenceLookUpFor(plan.subjects.size));
  const results = await churnPass(pass, plan.subjects, evidence, {
    cwd,
    windowMs,
    ...(options.pathScope ? { pathScope: options.pathScope } : {}),
    ...(options.patches ? { patches: options.patches } : {}),
  });

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
    if (plan.rewritten) db.prepare(`DELETE FROM event_commit_churn WHERE repo_id = ?`).run([repoId]);
    for (const s of results) {
      const ai = Math.round(s.aiWeight);
      const aiGone = Math.min(ai, Math.round(s.aiChurned));
      churned += s.churned;
      aiChurned += aiGone;
      insert.run([repoId, s.sha, config.churnWindowDays, ai, aiGone, s.lines - ai, s.churned - aiGone, now >= s.at + windowMs ? 1 : 0]);
    }
    save();
    saveInputs();
  });
  return { commits: results.length, churned, aiChurned };
}

/**
 * With no new mainline commit and the same evidence, a row's counts are final: only the calendar
 * closes windows (a row's window closes when now reaches its landing plus the window).
 */
function closeWindows(db: Database, repoId: string, windowMs: number, now: number): void {
  db.prepare(`
    UPDATE event_commit_churn INDEXED BY event_commit_churn_open_windows SET window_closed = 1
    WHERE repo_id = @repo AND window_closed = 0 AND (
      SELECT unixepoch(o.reached_mainline_at) * 1000 FROM event_commit_outcomes o
      WHERE o.repo_id = event_commit_churn.repo_id AND o.sha = event_commit_churn.sha) + @windowMs <= @now`).run({
    repo: repoId,
    windowMs,
    now,
  });
}

/**
 * One forward pass over `pass` (mainline in landing order): each commit first churns what it
 * removes from earlier subjects' lines, then, when it is a subject, adds its own lines.
 */
async function churnPass(
  pass: readonly MainlineCommit[],
  subjects: ReadonlySet<string>,
  evidence: (m: MainlineCommit) => Evidence,
  options: { cwd: string; windowMs: number; pathScope?: ReadonlySet<string>; patches?: PatchStore },
): Promise<ChurnSubject[]> {
  const bySha = new Map(pass.map((m) => [m.sha, m]));
  const live = new LiveLines(options.windowMs);
  const results: ChurnSubject[] = [];
  let seen = 0;
  // Each patch is keyed and let go: git's are lent, not copied.
  for await (const patch of readPatches(
    options.patches,
    pass.map((m) => m.sha),
    { cwd: options.cwd, lend: true },
  )) {
    const m = bySha.get(patch.sha);
    if (!m) continue;
    if (++seen % 2000 === 0) live.sweep(m.at);
    if (seen % 250 === 0) collectIfGrown();
    // Each line by its key where it stands in the kept patch: no string per line of mainline. Only
    // a subject's added lines are asked whether they are non-trivial (they join the live lines).
    const subject = subjects.has(m.sha);
    const files = keyedFiles(patch, NORMAL_LINE_KEY, subject ? isNontrivialRange : undefined);
    letGo(patch);
    live.remove(files, m.at);
    if (subject) results.push(addSubject(live, files, m, evidence(m), options.pathScope));
  }
  return results;
}

/**
 * A subject's own non-trivial lines join the live lines, each weighted by its AI evidence: exact
 * lines match one for one; a count spreads as the commit's AI share over every line. A commit that
 * adds nothing still gets its (empty) row: the rows name every mainline commit, which is how a
 * rewritten mainline is noticed.
 */
function addSubject(
  live: LiveLines,
  files: readonly KeyedFile[],
  m: MainlineCommit,
  e: Evidence,
  pathScope?: ReadonlySet<string>,
): ChurnSubject {
  // The AI lines by path and normal line's hash (the live lines' key); each matches one added line.
  const exact = new Map<string, Map<number, number>>();
  if ('lines' in e)
    for (const l of e.lines) {
      const inPath = exact.get(l.path) ?? new Map<number, number>();
      exact.set(l.path, inPath);
      const key = normalLineHash(l.text);
      inPath.set(key, (inPath.get(key) ?? 0) + 1);
    }
  const share = 'count' in e ? Math.min(1, e.count / Math.max(m.n, 1)) : 0;
  const subject: ChurnSubject = { sha: m.sha, at: m.at, lines: 0, aiWeight: 0, churned: 0, aiChurned: 0 };
  for (const f of files) {
    if (pathScope && !pathScope.has(f.path)) continue;
    const ai = exact.get(f.path);
    for (let i = 0; i < f.added.length; i++) {
      if (f.addedFlags[i] === 0) continue;
      const key = f.added[i]!;
      let weight = share;
      if ('lines' in e) {
        const n = ai?.get(key) ?? 0;
        weight = n > 0 ? 1 : 0;
        if (n > 0) ai!.set(key, n - 1);
      }
      subject.lines++;
      subject.aiWeight += weight;
      live.add(subject, f.path, key, weight);
    }
  }
  return subject;
}
