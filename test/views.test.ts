import { describe, expect, it } from 'vitest';
import type { Database } from '../src/db/driver.js';
import { AI_PROVIDERS } from '../src/git/commit-markers.js';
import { tempDatabase } from './helpers/db.js';
import { prng } from './helpers/prng.js';

interface CommitRow {
  repo_id: string;
  sha: string;
  is_merge: number;
  ai_marker: string | null;
  ai_marker_source: string | null;
  ai_committed_by: string | null;
  committed_at: string;
}

function randomCommits(seed: number, repos: string[]): CommitRow[] {
  const rand = prng(seed);
  const sources = ['trailer', 'message', 'author', 'subject'];
  const rows: CommitRow[] = [];
  for (const repo of repos) {
    const n = Math.floor(rand() * 40);
    for (let i = 0; i < n; i++) {
      const marked = rand() < 0.35;
      rows.push({
        repo_id: repo,
        sha: `${repo}-${i}-`.padEnd(40, '0'),
        is_merge: rand() < 0.15 ? 1 : 0,
        ai_marker: marked ? AI_PROVIDERS[Math.floor(rand() * AI_PROVIDERS.length)]! : null,
        ai_marker_source: marked ? sources[Math.floor(rand() * sources.length)]! : null,
        // aider's committer-only mark: recorded, never a marker.
        ai_committed_by: rand() < 0.2 ? 'aider' : null,
        committed_at: new Date(Date.UTC(2026, 0, 1) + Math.floor(rand() * 1e9)).toISOString(),
      });
    }
  }
  return rows;
}

function load(db: Database, repos: string[], commits: CommitRow[]): void {
  db.transaction(() => {
    const repo = db.prepare(
      `INSERT INTO metadata_repositories (repo_id, root_path, mainline_branch, first_seen_at) VALUES (?, ?, 'main', 'x')`,
    );
    for (const r of repos) repo.run([r, `/tmp/${r}`]);
    const commit = db.prepare(`
      INSERT INTO metadata_commits (repo_id, sha, parent_shas, parent_count, author_name, author_email, authored_at, author_tz,
        committer_name, committer_email, committed_at, committer_tz, subject, message, is_merge, is_root, ai_marker, ai_marker_source,
        ai_committed_by)
      VALUES (?, ?, '', ?, 'a', 'a@x', ?, '+00:00', 'a', 'a@x', ?, '+00:00', 's', 's', ?, 0, ?, ?, ?)`);
    for (const c of commits) {
      commit.run([
        c.repo_id,
        c.sha,
        c.is_merge ? 2 : 1,
        c.committed_at,
        c.committed_at,
        c.is_merge,
        c.ai_marker,
        c.ai_marker_source,
        c.ai_committed_by,
      ]);
    }
  });
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

/** The oracle: the same metrics computed directly from the rows. */
function expectedQuality(repos: string[], commits: CommitRow[]) {
  return repos.map((repo) => {
    const mine = commits.filter((c) => c.repo_id === repo);
    const nonMerge = mine.filter((c) => !c.is_merge);
    const marked = nonMerge.filter((c) => c.ai_marker !== null);
    const times = mine.map((c) => c.committed_at).sort();
    return {
      repo_id: repo,
      commits: mine.length,
      merge_commits: mine.length - nonMerge.length,
      non_merge_commits: nonMerge.length,
      ai_marked_commits: marked.length,
      ai_marked_share: nonMerge.length === 0 ? null : round4(marked.length / nonMerge.length),
      ai_marked_providers: new Set(marked.map((c) => c.ai_marker)).size,
      first_commit_at: times[0] ?? null,
      last_commit_at: times[times.length - 1] ?? null,
    };
  });
}

function expectedByProvider(repos: string[], commits: CommitRow[]) {
  const out: Record<string, unknown>[] = [];
  for (const repo of repos) {
    const nonMerge = commits.filter((c) => c.repo_id === repo && !c.is_merge);
    const committedOnly = nonMerge.filter((c) => c.ai_marker === null && c.ai_committed_by !== null);
    const providers = [...nonMerge.map((c) => c.ai_marker), ...committedOnly.map((c) => c.ai_committed_by)].filter((p) => p !== null);
    for (const provider of [...new Set(providers)].sort()) {
      const mine = nonMerge.filter((c) => c.ai_marker === provider);
      const times = mine.map((c) => c.committed_at).sort();
      const by = (s: string) => mine.filter((c) => c.ai_marker_source === s).length;
      out.push({
        repo_id: repo,
        provider,
        ai_marked_commits: mine.length,
        share_of_commits: round4(mine.length / nonMerge.length),
        by_trailer: by('trailer'),
        by_message: by('message'),
        by_author: by('author'),
        by_subject: by('subject'),
        ai_committed_commits: committedOnly.filter((c) => c.ai_committed_by === provider).length,
        first_commit_at: times[0] ?? null,
        last_commit_at: times[times.length - 1] ?? null,
      });
    }
  }
  return out;
}

describe('commit views against an independent computation', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('random data, seed %i', (seed) => {
    const repos = ['repo-a', 'repo-b', 'repo-c'];
    const commits = randomCommits(seed, repos);
    const db = tempDatabase();
    load(db, repos, commits);
    const quality = db
      .prepare(
        `SELECT repo_id, commits, merge_commits, non_merge_commits, ai_marked_commits, ai_marked_share,
                ai_marked_providers, first_commit_at, last_commit_at
         FROM view_repository_commit_quality ORDER BY repo_id`,
      )
      .all();
    expect(quality).toEqual(expectedQuality(repos, commits));
    expect(db.prepare(`SELECT * FROM view_repository_commits_by_provider ORDER BY repo_id, provider`).all()).toEqual(
      expectedByProvider(repos, commits),
    );
  });

  it('hand-built: a repository with only merges has no share, not a division by zero', () => {
    const db = tempDatabase();
    const commits: CommitRow[] = [
      {
        repo_id: 'r',
        sha: 'm'.repeat(40),
        is_merge: 1,
        ai_marker: 'claude',
        ai_marker_source: 'trailer',
        ai_committed_by: null,
        committed_at: '2026-01-01T00:00:00.000Z',
      },
    ];
    load(db, ['r', 'empty'], commits);
    const rows = db
      .prepare(
        `SELECT repo_id, commits, non_merge_commits, ai_marked_commits, ai_marked_share FROM view_repository_commit_quality ORDER BY repo_id`,
      )
      .all();
    expect(rows).toEqual([
      { repo_id: 'empty', commits: 0, non_merge_commits: 0, ai_marked_commits: 0, ai_marked_share: null },
      { repo_id: 'r', commits: 1, non_merge_commits: 0, ai_marked_commits: 0, ai_marked_share: null },
    ]);
    expect(db.prepare(`SELECT count(*) AS n FROM view_repository_commits_by_provider`).get()).toEqual({ n: 0 });
  });
});
