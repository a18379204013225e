import { describe, expect, it } from 'vitest';
import { tempDatabase } from './helpers/db.js';
import { prng } from './helpers/prng.js';

interface Outcome {
  repo_id: string;
  sha: string;
  nontrivial: number;
  ai: number;
  heavy: number;
  tracked: boolean;
}
interface Attribution {
  repo_id: string;
  sha: string;
  provider: string;
  session_id: string;
  model: string | null;
  lines: number;
  source: string;
}

describe('attribution views against an independent computation', () => {
  it.each([1, 2, 3, 4])('random outcomes, seed %i', (seed) => {
    const rand = prng(seed);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
    const db = tempDatabase();
    const outcomes: Outcome[] = [];
    const attributions: Attribution[] = [];
    for (const repo of ['r1', 'r2']) {
      db.prepare(`INSERT INTO metadata_repositories (repo_id, root_path, first_seen_at) VALUES (?, ?, 'x')`).run([repo, `/${repo}`]);
      for (let i = 0; i < 30; i++) {
        const sha = `${repo}-${i}-`.padEnd(40, '0');
        db.prepare(`
          INSERT INTO metadata_commits (repo_id, sha, parent_shas, parent_count, author_name, author_email, authored_at, author_tz,
            committer_name, committer_email, committed_at, committer_tz, subject, message, is_merge, is_root)
          VALUES (?, ?, '', 1, 'a', 'a', 't', '+00:00', 'a', 'a', ?, '+00:00', 's', 's', 0, 0)`).run([
          repo,
          sha,
          `2026-01-${String(1 + (i % 28)).padStart(2, '0')}`,
        ]);
        const nontrivial = Math.floor(rand() * 20);
        const credits: Attribution[] = [];
        if (rand() < 0.6) {
          for (let k = 0; k < 1 + Math.floor(rand() * 2); k++) {
            credits.push({
              repo_id: repo,
              sha,
              provider: pick(['claude-code', 'codex']),
              session_id: `s${k}-${Math.floor(rand() * 5)}`,
              model: pick(['m1', 'm2', null]),
              lines: Math.floor(rand() * 5),
              source: pick(['transcript', 'note', 'trailer']),
            });
          }
        }
        // Keys must be unique per (repo, sha, provider, session).
        const unique = [...new Map(credits.map((c) => [`${c.provider}|${c.session_id}`, c])).values()];
        const ai = Math.min(
          nontrivial,
          unique.reduce((n, c) => n + c.lines, 0),
        );
        const heavy = nontrivial >= 3 && ai / Math.max(nontrivial, 1) >= 0.5 ? 1 : 0;
        outcomes.push({ repo_id: repo, sha, nontrivial, ai, heavy, tracked: unique.length > 0 });
        attributions.push(...unique);
        db.prepare(`
          INSERT INTO event_commit_outcomes (repo_id, sha, committed_at, nontrivial_added_lines, ai_lines, heavy_ai, attribution_coverage)
          VALUES (?, ?, 't', ?, ?, ?, ?)`).run([repo, sha, nontrivial, ai, heavy, unique.length > 0 ? 'tracked' : 'untracked']);
        for (const c of unique) {
          db.prepare(
            `INSERT INTO event_commit_attributions (repo_id, sha, provider, session_id, model, matched_lines, source) VALUES (?, ?, ?, ?, ?, ?, ?)`,
          ).run([c.repo_id, c.sha, c.provider, c.session_id, c.model, c.lines, c.source]);
        }
      }
    }
    const r4 = (x: number) => Math.round(x * 1e4) / 1e4;
    for (const repo of ['r1', 'r2']) {
      const mine = outcomes.filter((o) => o.repo_id === repo);
      const nontrivial = mine.reduce((n, o) => n + o.nontrivial, 0);
      const ai = mine.reduce((n, o) => n + o.ai, 0);
      expect(
        db
          .prepare(
            `SELECT attributed_commits, coverage, nontrivial_added_lines, ai_lines, ai_share, heavy_ai_commits FROM view_repository_commit_quality WHERE repo_id = ?`,
          )
          .get([repo]),
      ).toEqual({
        attributed_commits: mine.filter((o) => o.tracked).length,
        coverage: r4(mine.filter((o) => o.tracked).length / mine.length),
        nontrivial_added_lines: nontrivial,
        ai_lines: ai,
        ai_share: nontrivial === 0 ? null : r4(ai / nontrivial),
        heavy_ai_commits: mine.reduce((n, o) => n + o.heavy, 0),
      });
      const groups = new Map<string, Attribution[]>();
      for (const a of attributions.filter((x) => x.repo_id === repo)) {
        const key = JSON.stringify([a.provider, a.model, a.source]);
        groups.set(key, [...(groups.get(key) ?? []), a]);
      }
      const expected = [...groups.entries()]
        .map(([key, rows]) => {
          const [provider, model, source] = JSON.parse(key) as [string, string | null, string];
          const lines = rows.reduce((n, r) => n + r.lines, 0);
          return {
            repo_id: repo,
            provider,
            model,
            source,
            commits: new Set(rows.map((r) => r.sha)).size,
            sessions: new Set(rows.map((r) => r.session_id).filter(Boolean)).size,
            ai_lines: lines,
            share_of_repo: nontrivial === 0 ? null : r4(lines / nontrivial),
          };
        })
        .sort((a, b) =>
          JSON.stringify([a.provider, a.model ?? '', a.source]).localeCompare(JSON.stringify([b.provider, b.model ?? '', b.source])),
        );
      const actual = db
        .prepare(`SELECT * FROM view_repository_ai_share WHERE repo_id = ?`)
        .all<{ provider: string; model: string | null; source: string }>([repo])
        .sort((a, b) =>
          JSON.stringify([a.provider, a.model ?? '', a.source]).localeCompare(JSON.stringify([b.provider, b.model ?? '', b.source])),
        );
      expect(actual).toEqual(expected);
    }
  });
});
