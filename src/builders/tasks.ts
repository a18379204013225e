import type { PaceflowConfig } from '../config/config.js';
import type { Database } from '../db/driver.js';
import { commitsReachableOnlyFrom } from '../git/log.js';
import { mergedBranchName, TaskKeyMatcher } from './task-keys.js';

/**
 * Links commits and sessions to tasks (DESIGN §4, issue "Tasks"): event_task_commits from the
 * branch a commit was made on (confident), else its PR title or subject (fallback), and
 * event_task_sessions from a session's branch, its prompts and the commits attributed to it.
 * Rebuilt whole for a repository on each run.
 */

/** How sure a link is, by where the key came from. */
export const CONFIDENCE = { branch: 1, merged_branch: 0.9, pr_title: 0.7, commit_subject: 0.5 } as const;

interface BranchRow {
  name: string;
  head_sha: string;
  is_mainline: number;
}

export async function buildTasks(options: {
  db: Database;
  repoId: string;
  cwd: string;
  config: Pick<PaceflowConfig, 'taskKeyPattern' | 'taskKeyExclusions' | 'taskCommitWindowHours'>;
}): Promise<{ taskCommits: number; taskSessions: number }> {
  const { db, repoId, cwd, config } = options;
  const matcher = new TaskKeyMatcher(config);

  // 1. Which branch each commit was made on: the commits a branch has that mainline does not, and
  //    for branches merged and deleted, the commits a merge brought in (`Merge branch 'x'`).
  const branches = db
    .prepare(`SELECT name, head_sha, is_mainline FROM metadata_branches WHERE repo_id = ? AND is_present = 1`)
    .all<BranchRow>([repoId]);
  const mainlineTips = [...new Set(branches.filter((b) => b.is_mainline).map((b) => b.head_sha))];
  const onBranch = new Map<string, { branch: string; confidence: number }>();
  const claim = (sha: string, branch: string, confidence: number) => {
    const current = onBranch.get(sha);
    if (!current || confidence > current.confidence) onBranch.set(sha, { branch, confidence });
  };
  if (mainlineTips.length > 0) {
    for (const b of branches) {
      if (b.is_mainline || matcher.keys(b.name).length === 0) continue;
      for (const sha of await commitsReachableOnlyFrom([b.head_sha], mainlineTips, cwd)) claim(sha, b.name, CONFIDENCE.branch);
    }
  }
  const merges = db
    .prepare(`SELECT sha, parent_shas, subject FROM metadata_commits WHERE repo_id = ? AND is_merge = 1 AND is_unreachable = 0`)
    .all<{ sha: string; parent_shas: string; subject: string }>([repoId]);
  for (const merge of merges) {
    const branch = mergedBranchName(merge.subject);
    if (!branch || matcher.keys(branch).length === 0) continue;
    const [first, second] = merge.parent_shas.split(' ');
    if (!first || !second) continue;
    for (const sha of await commitsReachableOnlyFrom([second], [first], cwd)) claim(sha, branch, CONFIDENCE.merged_branch);
  }

  const commits = db
    .prepare(`SELECT sha, subject, pr_number, committed_at FROM metadata_commits WHERE repo_id = ? AND is_merge = 0 AND is_unreachable = 0`)
    .all<{ sha: string; subject: string; pr_number: number | null; committed_at: string }>([repoId]);

  const sql = {
    clearCommits: db.prepare(`DELETE FROM event_task_commits WHERE repo_id = ?`),
    taskCommit: db.prepare(`
      INSERT INTO event_task_commits (task_key, repo_id, sha, branch_name, fallback, confidence, key_source)
      VALUES (?, ?, ?, ?, ?, ?, ?)`),
    task: db.prepare(`
      INSERT INTO metadata_tasks (task_key, source, first_seen_at) VALUES (?, ?, ?)
      ON CONFLICT (task_key) DO UPDATE SET source = excluded.source, first_seen_at = excluded.first_seen_at
      WHERE excluded.first_seen_at < metadata_tasks.first_seen_at`),
    sessions: db.prepare(
      `SELECT session_id, git_branch, started_at, ended_at FROM metadata_sessions WHERE repo_id = ? AND session_kind <> 'subagent'`,
    ),
    prompts: db.prepare(`
      SELECT r.text FROM event_session_messages m
      JOIN fact_session_records r ON r.session_id = m.session_id AND r.record_id = m.record_id
      WHERE m.session_id = ? AND m.is_user_prompt = 1`),
    attributedKeys: db.prepare(`
      SELECT DISTINCT t.task_key FROM event_commit_attributions a
      JOIN event_task_commits t ON t.repo_id = a.repo_id AND t.sha = a.sha
      WHERE a.repo_id = ? AND a.session_id = ? AND a.source = 'transcript'`),
    clearSessions: db.prepare(`
      DELETE FROM event_task_sessions WHERE session_id IN (SELECT session_id FROM metadata_sessions WHERE repo_id = ?)`),
    taskSession: db.prepare(`
      INSERT INTO event_task_sessions (task_key, session_id, session_weight, commit_within_window, link_source)
      SELECT @key, @session, @weight,
        EXISTS (SELECT 1 FROM event_task_commits t JOIN metadata_commits c ON c.repo_id = t.repo_id AND c.sha = t.sha
                WHERE t.task_key = @key AND t.repo_id = @repo
                  AND julianday(c.committed_at) >= julianday(@started)
                  AND julianday(c.committed_at) <= julianday(@ended) + @windowDays),
        @source`),
  };

  let taskCommits = 0;
  let taskSessions = 0;
  db.transaction(() => {
    sql.clearCommits.run([repoId]);
    for (const c of commits) {
      const branch = onBranch.get(c.sha);
      const branchKeys = branch ? matcher.keys(branch.branch) : [];
      let keys = branchKeys;
      let source: 'branch' | 'pr_title' | 'commit_subject' = 'branch';
      let confidence: number = branch?.confidence ?? 0;
      if (keys.length === 0) {
        keys = matcher.keys(c.subject);
        // A squash merge's subject is the PR title: "Title (#12)".
        source = c.pr_number !== null ? 'pr_title' : 'commit_subject';
        confidence = CONFIDENCE[source];
      }
      for (const key of keys) {
        sql.taskCommit.run([key, repoId, c.sha, branch?.branch ?? null, source === 'branch' ? 0 : 1, confidence, source]);
        sql.task.run([key, source, c.committed_at]);
        taskCommits++;
      }
    }

    sql.clearSessions.run([repoId]);
    for (const s of sql.sessions.all<{ session_id: string; git_branch: string | null; started_at: string | null; ended_at: string | null }>(
      [repoId],
    )) {
      const links = new Map<string, 'session_branch' | 'prompt' | 'commit'>();
      for (const key of matcher.keys(s.git_branch)) links.set(key, 'session_branch');
      for (const { text } of sql.prompts.all<{ text: string | null }>([s.session_id])) {
        for (const key of matcher.keys(text)) if (!links.has(key)) links.set(key, 'prompt');
      }
      for (const { task_key } of sql.attributedKeys.all<{ task_key: string }>([repoId, s.session_id])) {
        if (!links.has(task_key)) links.set(task_key, 'commit');
      }
      if (links.size === 0) continue;
      // A session that spans several tasks counts a share in each: its weights sum to 1.
      const weight = 1 / links.size;
      for (const [key, source] of links) {
        if (source !== 'commit' && s.started_at) sql.task.run([key, source, s.started_at]);
        sql.taskSession.run({
          key,
          session: s.session_id,
          weight,
          repo: repoId,
          started: s.started_at,
          ended: s.ended_at ?? s.started_at,
          windowDays: config.taskCommitWindowHours / 24,
          source,
        });
        taskSessions++;
      }
    }
  });
  return { taskCommits, taskSessions };
}
