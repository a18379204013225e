import { describe, expect, it } from 'vitest';
import type { Database } from '../src/db/driver.js';
import { readFigures } from '../src/report/figures.js';
import { tempDatabase } from './helpers/db.js';
import { prng } from './helpers/prng.js';

/**
 * The headline views against an independent computation over the same event rows (DESIGN §8):
 * view_repository_summary, and the commit-set views a pull request's comment reads.
 */

interface Outcome {
  repo_id: string;
  sha: string;
  nontrivial: number;
  ai: number;
  heavy: number;
  tracked: boolean;
  merged: number | null;
  mergeClosed: number;
  reverted: number | null;
  revertClosed: number;
  churn: { aiReach: number; aiChurned: number; nonaiReach: number; nonaiChurned: number; closed: number } | null;
}

interface Session {
  id: string;
  repo_id: string | null;
  subagentOf: string | null;
  prompts: number;
  loop: number;
  paste: number;
  edits: ('applied' | 'rejected' | 'failed')[];
}

function randomData(seed: number, repos: string[]) {
  const rand = prng(seed);
  const int = (n: number) => Math.floor(rand() * n);
  const outcomes: Outcome[] = [];
  const sessions: Session[] = [];
  for (const repo of repos) {
    for (let i = 0, n = int(30); i < n; i++) {
      const nontrivial = int(20);
      const tracked = rand() < 0.6;
      const ai = tracked ? int(nontrivial + 1) : 0;
      const merged = rand() < 0.2 ? null : rand() < 0.7 ? 1 : 0;
      outcomes.push({
        repo_id: repo,
        sha: `${repo}-${i}-`.padEnd(40, '0'),
        nontrivial,
        ai,
        heavy: ai >= 3 && ai / Math.max(1, nontrivial) >= 0.5 ? 1 : 0,
        tracked,
        merged,
        mergeClosed: rand() < 0.8 ? 1 : 0,
        reverted: merged === 1 ? (rand() < 0.2 ? 1 : 0) : null,
        revertClosed: rand() < 0.7 ? 1 : 0,
        churn:
          merged === 1
            ? {
                aiReach: ai,
                aiChurned: int(ai + 1),
                nonaiReach: nontrivial - ai,
                nonaiChurned: int(nontrivial - ai + 1),
                closed: rand() < 0.75 ? 1 : 0,
              }
            : null,
      });
    }
    for (let i = 0, n = int(6); i < n; i++) {
      const id = `claude-code:${repo}-s${i}`;
      const edits = Array.from({ length: int(5) }, () => (['applied', 'rejected', 'failed'] as const)[int(3)]!);
      sessions.push({ id, repo_id: repo, subagentOf: null, prompts: int(9), loop: int(2), paste: int(2), edits });
      if (rand() < 0.4)
        sessions.push({ id: `${id}-agent`, repo_id: repo, subagentOf: id, prompts: int(3), loop: int(2), paste: 0, edits: ['rejected'] });
    }
  }
  sessions.push({ id: 'codex:outside', repo_id: null, subagentOf: null, prompts: 2, loop: 0, paste: 0, edits: ['rejected'] });
  return { outcomes, sessions };
}

function load(db: Database, repos: string[], data: ReturnType<typeof randomData>): void {
  db.transaction(() => {
    const repo = db.prepare(
      `INSERT INTO metadata_repositories (repo_id, root_path, mainline_branch, first_seen_at) VALUES (?, ?, 'main', 'x')`,
    );
    for (const r of repos) repo.run([r, `/work/${r}`]);
    const outcome = db.prepare(`
      INSERT INTO event_commit_outcomes (repo_id, sha, committed_at, nontrivial_added_lines, ai_lines, ai_share, heavy_ai,
        attribution_coverage, attribution_source, merged_to_mainline, merge_window_closed, reverted_later, revert_window_closed)
      VALUES (?, ?, '2026-01-01T00:00:00Z', ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?)`);
    const churn = db.prepare(`
      INSERT INTO event_commit_churn (repo_id, sha, window_days, ai_lines_reaching_mainline, ai_lines_churned,
        nonai_lines_reaching_mainline, nonai_lines_churned, window_closed) VALUES (?, ?, 14, ?, ?, ?, ?, ?)`);
    for (const o of data.outcomes) {
      outcome.run([
        o.repo_id,
        o.sha,
        o.nontrivial,
        o.ai,
        o.heavy,
        o.tracked ? 'tracked' : 'untracked',
        o.tracked ? 'transcript' : null,
        o.merged,
        o.mergeClosed,
        o.reverted,
        o.revertClosed,
      ]);
      if (o.churn)
        churn.run([o.repo_id, o.sha, o.churn.aiReach, o.churn.aiChurned, o.churn.nonaiReach, o.churn.nonaiChurned, o.churn.closed]);
    }
    const quality = db.prepare(`
      INSERT INTO event_session_quality (session_id, provider, repo_id, root_session_id, is_subagent, user_prompt_count,
        repeated_debug_loop, mid_session_error_paste, tool_errors, lines_written, tokens_in, tokens_out)
      VALUES (?, 'claude-code', ?, ?, ?, ?, ?, ?, 0, 0, 0, 0)`);
    const edit = db.prepare(`
      INSERT INTO event_session_code_changes (session_id, edit_id, provider, repo_id, root_session_id, tool_name, lines_added,
        lines_removed, nontrivial_lines_added, status) VALUES (?, ?, 'claude-code', ?, ?, 'Write', 1, 0, 1, ?)`);
    for (const s of data.sessions) {
      quality.run([s.id, s.repo_id, s.subagentOf ?? s.id, s.subagentOf ? 1 : 0, s.prompts, s.loop, s.paste]);
      for (const [i, status] of s.edits.entries()) edit.run([s.id, `e${i}`, s.repo_id, s.subagentOf ?? s.id, status]);
    }
  });
}

const share = (a: number, b: number) => (b === 0 ? null : Math.round((a / b) * 1e4) / 1e4);
const sum = <T>(rows: T[], f: (r: T) => number) => rows.reduce((n, r) => n + f(r), 0);

/** The oracle: the headline of each repository, computed from the rows directly. */
function expectedSummary(repo: string, data: ReturnType<typeof randomData>) {
  const o = data.outcomes.filter((x) => x.repo_id === repo);
  const tracked = o.filter((x) => x.tracked);
  const lines = sum(o, (x) => x.nontrivial);
  const ai = sum(o, (x) => x.ai);
  const nonai = sum(tracked, (x) => x.nontrivial - x.ai);
  const untracked = sum(
    o.filter((x) => !x.tracked),
    (x) => x.nontrivial,
  );
  const heavy = o.filter((x) => x.heavy === 1);
  const judged = heavy.filter((x) => x.mergeClosed === 1 && x.merged !== null);
  const revertJudged = heavy.filter((x) => x.merged === 1 && x.revertClosed === 1);
  const churnJudged = heavy.filter((x) => x.churn?.closed === 1 && x.churn.aiReach > 0);
  const closed = o.filter((x) => x.churn?.closed === 1).map((x) => x.churn!);
  const anyChurn = o.some((x) => x.churn);
  const people = data.sessions.filter((s) => s.repo_id === repo && !s.subagentOf);
  const edits = data.sessions.filter((s) => s.repo_id === repo).flatMap((s) => s.edits);
  return {
    repo_id: repo,
    name: repo,
    commits: o.length,
    tracked_commits: tracked.length,
    coverage: share(tracked.length, o.length),
    nontrivial_added_lines: lines,
    ai_lines: ai,
    nonai_lines: nonai,
    untracked_lines: untracked,
    ai_share: share(ai, lines),
    nonai_share: share(nonai, lines),
    untracked_share: share(untracked, lines),
    heavy_ai_commits: heavy.length,
    heavy_ai_judged: judged.length,
    heavy_ai_merged: judged.filter((x) => x.merged === 1).length,
    heavy_ai_revert_judged: revertJudged.length,
    heavy_ai_reverted: revertJudged.filter((x) => x.reverted === 1).length,
    heavy_ai_churn_judged: churnJudged.length,
    heavy_ai_churned: churnJudged.filter((x) => x.churn!.aiChurned > 0).length,
    churn_window_days: anyChurn ? 14 : null,
    ai_lines_churned: sum(closed, (c) => c.aiChurned),
    ai_lines_reaching_mainline: sum(closed, (c) => c.aiReach),
    ai_churn_rate: share(
      sum(closed, (c) => c.aiChurned),
      sum(closed, (c) => c.aiReach),
    ),
    nonai_churn_rate: share(
      sum(closed, (c) => c.nonaiChurned),
      sum(closed, (c) => c.nonaiReach),
    ),
    sessions: people.length,
    user_prompts: sum(people, (s) => s.prompts),
    sessions_with_debug_loop: sum(people, (s) => s.loop),
    sessions_with_error_paste: sum(people, (s) => s.paste),
    edits_applied: edits.filter((e) => e === 'applied').length,
    edits_rejected: edits.filter((e) => e === 'rejected').length,
  };
}

describe('view_repository_summary against an independent computation', () => {
  it.each([1, 2, 3, 4, 5, 6])('random data, seed %i', (seed) => {
    const repos = ['alpha', 'beta', 'gamma'];
    const data = randomData(seed, repos);
    const db = tempDatabase();
    load(db, repos, data);
    for (const repo of repos) {
      const expected = expectedSummary(repo, data);
      const row = readFigures(db, repo).repository!;
      expect(Object.fromEntries(Object.keys(expected).map((k) => [k, row[k as keyof typeof row]]))).toEqual(expected);
      // The three-way split always adds up to the whole.
      expect(row.ai_lines + row.nonai_lines + row.untracked_lines).toBe(row.nontrivial_added_lines);
    }
  });

  it('hand-built: a repository with no commits has no shares, not a division by zero', () => {
    const db = tempDatabase();
    load(db, ['empty'], { outcomes: [], sessions: [] });
    expect(readFigures(db, 'empty').repository).toMatchObject({
      commits: 0,
      coverage: null,
      ai_share: null,
      churn_window_days: null,
      ai_churn_rate: null,
      sessions: 0,
    });
  });
});

describe('the commit-set views (a pull request) against an independent computation', () => {
  const note = (entries: { session: string; lines: number; work?: object }[], version = 2) =>
    JSON.stringify({
      schema: 'paceflow/attribution',
      version,
      tool: 'paceflow 0.1.0',
      nontrivial_added_lines: 9,
      attributions: entries.map((e) => ({ provider: 'claude-code', model: null, ...e })),
    });

  it.each([7, 8, 9])('random data, seed %i: totals over the set, sessions counted once with their largest counts', (seed) => {
    const data = randomData(seed, ['r']);
    const db = tempDatabase();
    load(db, ['r'], data);
    const rand = prng(seed * 31);
    const set = data.outcomes.filter((_, i) => i < 4 || rand() < 0.5).map((o) => o.sha);
    // Notes: sessions s0 and s1 alternating over the set's commits, a session on several commits with growing counts.
    const insertCommit = db.prepare(`
      INSERT INTO metadata_commits (repo_id, sha, parent_shas, parent_count, author_name, author_email, authored_at, author_tz,
        committer_name, committer_email, committed_at, committer_tz, subject, message, is_merge, is_root)
      VALUES ('r', ?, '', 1, 'a', 'a@x', '2026-01-01', '+00:00', 'a', 'a@x', '2026-01-01', '+00:00', 's', 's', 0, 0)`);
    const insertNote = db.prepare(
      `INSERT INTO fact_commit_notes (repo_id, sha, notes_ref, note_text, read_at) VALUES ('r', ?, 'refs/notes/paceflow', ?, 'x')`,
    );
    const work = new Map<string, { prompts: number; rejected_edits: number; debug_loop: number; error_paste: number }>();
    for (const o of data.outcomes) insertCommit.run([o.sha]);
    set.forEach((sha, i) => {
      const session = `s${i % 2}`;
      const w = { prompts: i + 1, rejected_edits: i % 3, debug_loop: i % 2, error_paste: (i + 1) % 2 };
      const prev = work.get(session);
      work.set(session, {
        prompts: Math.max(prev?.prompts ?? 0, w.prompts),
        rejected_edits: Math.max(prev?.rejected_edits ?? 0, w.rejected_edits),
        debug_loop: Math.max(prev?.debug_loop ?? 0, w.debug_loop),
        error_paste: Math.max(prev?.error_paste ?? 0, w.error_paste),
      });
      insertNote.run([sha, note([{ session, lines: 1, work: w }])]);
    });
    // Outside the set, a version 1 note and a broken one: neither counts, neither breaks the view.
    const outside = data.outcomes.find((o) => !set.includes(o.sha));
    if (outside) insertNote.run([outside.sha, '{not json']);
    const pr = readFigures(db, 'r', { commitSet: set }).pullRequest!;
    const inSet = data.outcomes.filter((o) => set.includes(o.sha));
    const lines = sum(inSet, (o) => o.nontrivial);
    const tracked = inSet.filter((o) => o.tracked);
    expect(pr.totals).toEqual({
      commits: inSet.length,
      tracked_commits: tracked.length,
      coverage: share(tracked.length, inSet.length),
      nontrivial_added_lines: lines,
      ai_lines: sum(inSet, (o) => o.ai),
      nonai_lines: sum(tracked, (o) => o.nontrivial - o.ai),
      untracked_lines: sum(
        inSet.filter((o) => !o.tracked),
        (o) => o.nontrivial,
      ),
      ai_share: share(
        sum(inSet, (o) => o.ai),
        lines,
      ),
      heavy_ai_commits: sum(inSet, (o) => o.heavy),
    });
    const w = [...work.values()];
    expect(pr.work).toEqual({
      sessions: w.length,
      user_prompts: sum(w, (x) => x.prompts),
      rejected_edits: sum(w, (x) => x.rejected_edits),
      sessions_with_debug_loop: sum(w, (x) => x.debug_loop),
      sessions_with_error_paste: sum(w, (x) => x.error_paste),
    });
    expect(pr.commits.map((c) => c.sha)).toEqual(set);
  });

  it('a version 1 note (no work) names no session in the work line', () => {
    const db = tempDatabase();
    load(db, ['r'], { outcomes: [], sessions: [] });
    db.prepare(
      `INSERT INTO metadata_commits (repo_id, sha, parent_shas, parent_count, author_name, author_email, authored_at, author_tz,
        committer_name, committer_email, committed_at, committer_tz, subject, message, is_merge, is_root)
      VALUES ('r', 'c1', '', 1, 'a', 'a@x', '2026-01-01', '+00:00', 'a', 'a@x', '2026-01-01', '+00:00', 's', 's', 0, 0)`,
    ).run();
    db.prepare(
      `INSERT INTO fact_commit_notes (repo_id, sha, notes_ref, note_text, read_at) VALUES ('r', 'c1', 'refs/notes/paceflow', ?, 'x')`,
    ).run([note([{ session: 'old', lines: 2 }], 1)]);
    expect(readFigures(db, 'r', { commitSet: ['c1'] }).pullRequest!.work).toEqual({
      sessions: 0,
      user_prompts: 0,
      rejected_edits: 0,
      sessions_with_debug_loop: 0,
      sessions_with_error_paste: 0,
    });
  });
});
