import type { PaceflowConfig } from '../config/config.js';
import { KnownParents } from '../git/known-parents.js';
import { crashPoint } from '../crash-point.js';
import { repositoryRows } from '../db/count.js';
import type { Database } from '../db/driver.js';
import { branchesOnlyFrom, commitsReachableOnlyFrom } from '../git/log.js';
import { mergedBranchName, TaskKeyMatcher } from './task-keys.js';

/**
 * Links commits and sessions to tasks (DESIGN §4, issue "Tasks"): event_task_commits from the
 * branch a commit was made on (confident), else its PR title or subject (fallback), and
 * event_task_sessions from a session's branch, its prompts and the commits attributed to it.
 */

/** How sure a link is, by where the key came from. */
export const CONFIDENCE = { branch: 1, merged_branch: 0.9, pr_title: 0.7, commit_subject: 0.5 } as const;

interface BranchRow {
  name: string;
  head_sha: string;
  is_mainline: number;
}

type CommitRow = { sha: string; subject: string; pr_number: number | null; committed_at: string };
type Claim = { branch: string; confidence: number };

/**
 * Task links are rebuilt only where they can change. Commit links: a commit's links follow from
 * the branch it was made on (its claim) and its own subject, which never changes; so a run links
 * the new commits (paceflow_untasked, sql/010), and when the refs the claims come from moved (a
 * branch named for a task, mainline, a merge of one) recomputes the claims and relinks the commits
 * whose claim changed. A changed key pattern relinks everything. Session links are made again for
 * the sessions whose inputs changed (their row, prompts or transcript commits, or the commit links
 * of a key they have or gain), queued as those change (sql/024).
 */
export async function buildTasks(options: {
  db: Database;
  repoId: string;
  cwd: string;
  config: Pick<PaceflowConfig, 'taskKeyPattern' | 'taskKeyExclusions' | 'taskCommitWindowHours'>;
}): Promise<void> {
  const { db, repoId, config } = options;
  const matcher = new TaskKeyMatcher(config);
  const meta = {
    get: (key: string) => db.prepare(`SELECT value FROM paceflow_meta WHERE key = ?`).get<{ value: string }>([`${key}:${repoId}`])?.value,
    set: (key: string, value: string) =>
      db
        .prepare(`INSERT INTO paceflow_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`)
        .run([`${key}:${repoId}`, value]),
  };
  const configKey = JSON.stringify([config.taskKeyPattern, config.taskKeyExclusions]);
  const branches = db
    .prepare(`SELECT name, head_sha, is_mainline FROM metadata_branches WHERE repo_id = ? AND is_present = 1`)
    .all<BranchRow>([repoId]);
  const keyed = branches.filter((b) => !b.is_mainline && matcher.keys(b.name).length > 0);
  const mainlineTips = [...new Set(branches.filter((b) => b.is_mainline).map((b) => b.head_sha))];
  // Kept by triggers (sql/029): counted, every reachable merge's index entry was read after every commit.
  const mergeCount = repositoryRows(db, 'metadata_commits:merge', repoId);
  const claimsKey = JSON.stringify([mainlineTips, keyed.map((b) => [b.name, b.head_sha]), mergeCount]);
  const whole = meta.get('tasks_config') !== configKey;
  // CROSS JOIN: the queue first, then each commit by key (never a scan of the commits). A whole
  // build links every commit from metadata_commits and makes every claim again whatever the queue
  // holds: the queue is emptied unread (a first run's: the 80k bench history's 62,273 commits with
  // their parents, ~0.5 s of reading and ~60k rows held).
  const pending = whole
    ? []
    : db
        .prepare(`
      SELECT c.sha, c.subject, c.pr_number, c.committed_at, c.is_merge, c.parent_shas FROM paceflow_untasked u
      CROSS JOIN metadata_commits c ON c.repo_id = u.repo_id AND c.sha = u.sha AND c.is_unreachable = 0
      WHERE u.repo_id = ?`)
        .all<CommitRow & { is_merge: number; parent_shas: string }>([repoId]);
  const keyedMerge = pending.some((c) => c.is_merge && matcher.keys(mergedBranchName(c.subject)).length > 0);
  const claimsBefore = meta.get('tasks_claims');
  const claimsMoved =
    whole ||
    keyedMerge ||
    (claimsBefore !== claimsKey &&
      !(await mainlineOnlyTookNewCommits(options.cwd, claimsBefore, { mainlineTips, keyed, mergeCount }, pending)));
  // The refs behind the claims stayed: a new commit is on no branch named for a task (that
  // branch would have moved), so only its subject can link it.
  const merges = claimsMoved ? await keyedMerges(db, repoId, options.cwd, matcher, whole ? null : pending) : null;
  const claims = merges ? await branchClaims(options.cwd, keyed, mainlineTips, merges.all) : new Map<string, Claim>();

  // The session links stand but for the sessions queued since (else all are linked again): the
  // sessions a changed commit link can move are queued with it.
  const sessionsDigest = JSON.stringify([configKey, config.taskCommitWindowHours]);
  const sessionLinksStand = meta.get('tasks_sessions') === sessionsDigest;
  writeCommitLinks(db, repoId, matcher, { whole, claimsMoved, claims, pending, oweSessions: sessionLinksStand }, () => {
    if (merges) merges.save();
    meta.set('tasks_config', configKey);
    meta.set('tasks_claims', claimsKey);
  });
  crashPoint('tasks-commits');
  linkSessions(db, repoId, matcher, config, sessionLinksStand ? 'owed' : 'all', () => meta.set('tasks_sessions', sessionsDigest));
}

/** How many task links the repository's commits and sessions have: what the builder's message says. */
export function taskLinkCounts(db: Database, repoId: string): { taskCommits: number; taskSessions: number } {
  return {
    taskCommits: db.prepare(`SELECT count(*) AS n FROM event_task_commits WHERE repo_id = ?`).get<{ n: number }>([repoId])!.n,
    taskSessions: db
      .prepare(
        `SELECT count(*) AS n FROM event_task_sessions WHERE session_id IN (SELECT session_id FROM metadata_sessions WHERE repo_id = ?)`,
      )
      .get<{ n: number }>([repoId])!.n,
  };
}

/**
 * Writes event_task_commits: every commit's links (`whole`), else the new commits' and those whose
 * claim changed; empties the queue. In one transaction, with the caller's bookkeeping.
 */
function writeCommitLinks(
  db: Database,
  repoId: string,
  matcher: TaskKeyMatcher,
  work: {
    whole: boolean;
    claimsMoved: boolean;
    claims: ReadonlyMap<string, Claim>;
    pending: readonly (CommitRow & { is_merge: number })[];
    /** Queue the sessions whose links the changed commit links can move (linkSessions reads them). */
    oweSessions: boolean;
  },
  alsoInTransaction: () => void,
): void {
  const { whole, claimsMoved, claims, pending, oweSessions } = work;
  const sql = {
    clearCommits: db.prepare(`DELETE FROM event_task_commits WHERE repo_id = ?`),
    clearCommit: db.prepare(`DELETE FROM event_task_commits WHERE repo_id = ? AND sha = ?`),
    commit: db.prepare(
      `SELECT sha, subject, pr_number, committed_at FROM metadata_commits WHERE repo_id = ? AND sha = ? AND is_merge = 0 AND is_unreachable = 0`,
    ),
    taskCommit: db.prepare(`
      INSERT INTO event_task_commits (task_key, repo_id, sha, branch_name, fallback, confidence, key_source)
      VALUES (?, ?, ?, ?, ?, ?, ?)`),
  };
  // The keys whose links this run removes or adds: their metadata_tasks rows are derived again.
  const touched = new Set<string>();
  const keysOf = db.prepare(`SELECT DISTINCT task_key FROM event_task_commits WHERE repo_id = ? AND sha = ?`);
  const link = (c: CommitRow) => {
    const branch = claims.get(c.sha);
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
      touched.add(key);
    }
  };

  const rowsOf = db.prepare(
    `SELECT task_key, branch_name, fallback, confidence, key_source FROM event_task_commits WHERE repo_id = ? AND sha = ? ORDER BY task_key`,
  );
  const linksOf = (sha: string) => JSON.stringify(rowsOf.all([repoId, sha]));
  db.transaction(() => {
    // Rewritten or deleted history no longer links to anything.
    for (const { task_key } of db
      .prepare(`
        SELECT DISTINCT t.task_key FROM metadata_commits c INDEXED BY metadata_commits_by_state
        CROSS JOIN event_task_commits t ON t.repo_id = c.repo_id AND t.sha = c.sha
        WHERE c.repo_id = ? AND c.is_unreachable = 1`)
      .all<{ task_key: string }>([repoId]))
      touched.add(task_key);
    let changes = db
      .prepare(
        `DELETE FROM event_task_commits WHERE repo_id = ? AND sha IN (SELECT sha FROM metadata_commits WHERE repo_id = ? AND is_unreachable = 1)`,
      )
      .run([repoId, repoId]).changes;
    if (whole) {
      changes++;
      for (const { task_key } of db
        .prepare(`SELECT DISTINCT task_key FROM event_task_commits WHERE repo_id = ?`)
        .all<{ task_key: string }>([repoId]))
        touched.add(task_key);
      sql.clearCommits.run([repoId]);
      for (const c of db
        .prepare(
          `SELECT sha, subject, pr_number, committed_at FROM metadata_commits WHERE repo_id = ? AND is_merge = 0 AND is_unreachable = 0`,
        )
        .all<CommitRow>([repoId]))
        link(c);
    } else {
      const relink = new Set(pending.filter((c) => !c.is_merge).map((c) => c.sha));
      if (claimsMoved) {
        // The claims the stored links were made from, against the claims now.
        const before = new Map<string, Claim>();
        for (const r of db
          .prepare(`SELECT DISTINCT sha, branch_name, confidence FROM event_task_commits WHERE repo_id = ? AND key_source = 'branch'`)
          .all<{ sha: string; branch_name: string; confidence: number }>([repoId]))
          before.set(r.sha, { branch: r.branch_name, confidence: r.confidence });
        for (const sha of new Set([...before.keys(), ...claims.keys()])) {
          const [a, b] = [before.get(sha), claims.get(sha)];
          if (a?.branch !== b?.branch || a?.confidence !== b?.confidence) relink.add(sha);
        }
      }
      for (const sha of relink) {
        const before = linksOf(sha);
        for (const { task_key } of keysOf.all<{ task_key: string }>([repoId, sha])) touched.add(task_key);
        sql.clearCommit.run([repoId, sha]);
        const c = sql.commit.get<CommitRow>([repoId, sha]);
        if (c) link(c);
        if (linksOf(sha) !== before) changes++;
      }
    }
    db.prepare(`DELETE FROM paceflow_untasked WHERE repo_id = ?`).run([repoId]);
    deriveTasks(db, touched);
    // A key's commits moved: a session linked to it may have a commit in its window now, or none;
    // a session the moved commits are attributed to may gain or lose the key.
    if (changes > 0 && oweSessions) {
      // The key's commits first (CROSS JOIN keeps the order), then each one's attributions: left to
      // itself SQLite read every attribution of the repository for each key and looked its commit
      // up (the 80k bench history: 5.5 ms a key against 0.15 ms).
      const owe = db.prepare(`
        INSERT OR IGNORE INTO paceflow_owed_task_sessions (session_id)
        SELECT session_id FROM event_task_sessions WHERE task_key = @key
        UNION
        SELECT a.session_id FROM event_task_commits t
        CROSS JOIN event_commit_attributions a ON a.repo_id = t.repo_id AND a.sha = t.sha AND a.source = 'transcript'
        WHERE t.task_key = @key AND t.repo_id = @repo`);
      for (const key of touched) owe.run({ key, repo: repoId });
    }
    alsoInTransaction();
  });
}

/**
 * Whether the claims stand although their key moved: mainline moved forward (every old tip is an
 * ancestor of a new one) taking in only commits new to this run, no branch named for a task moved,
 * and the merges are those counted before plus the new ones. A commit's claim is what a branch
 * named for a task has that mainline does not; a new commit is on no such branch (it would have
 * moved), so every claim stays — the common case of a commit on mainline, without walking every
 * task branch's history (two `git rev-list` of the move instead).
 */
async function mainlineOnlyTookNewCommits(
  cwd: string,
  claimsBefore: string | undefined,
  now: { mainlineTips: readonly string[]; keyed: readonly BranchRow[]; mergeCount: number },
  pending: readonly (CommitRow & { is_merge: number; parent_shas: string })[],
): Promise<boolean> {
  if (!claimsBefore || now.mainlineTips.length === 0) return false;
  let before: unknown;
  try {
    before = JSON.parse(claimsBefore);
  } catch {
    return false;
  }
  if (!Array.isArray(before) || before.length !== 3) return false;
  const [tips, keyed, mergeCount] = before as [unknown, unknown, unknown];
  if (!Array.isArray(tips) || tips.length === 0 || !tips.every((t) => typeof t === 'string')) return false;
  if (JSON.stringify(keyed) !== JSON.stringify(now.keyed.map((b) => [b.name, b.head_sha]))) return false;
  const newMerges = pending.filter((c) => c.is_merge).length;
  if (typeof mergeCount !== 'number' || now.mergeCount !== mergeCount + newMerges) return false;
  const fresh = new Set(pending.map((c) => c.sha));
  // Nothing mainline had is gone from it, and all it gained is new. Down from the new tips through
  // the new commits, the walk stopping only at old tips and at all of them says both (a commit on
  // mainline, a fast-forward, a merge of new commits) with no git process; anything else, git.
  const known = new KnownParents();
  for (const c of pending) known.add(c.sha, c.parent_shas === '' ? [] : c.parent_shas.split(' '));
  const walked = known.walk(now.mainlineTips);
  const old = new Set(tips as string[]);
  if (walked && [...walked.stopped].every((sha) => old.has(sha)) && [...old].every((sha) => walked.reached.has(sha))) return true;
  if ((await commitsReachableOnlyFrom(tips as string[], now.mainlineTips, cwd)).length > 0) return false;
  return (await commitsReachableOnlyFrom(now.mainlineTips, tips as string[], cwd)).every((sha) => fresh.has(sha));
}

type KeyedMerge = { sha: string; branch: string; brought: string[] };

/**
 * The reachable merges of a branch named for a task, with the commits each brought in: those
 * recorded in paceflow_task_merges plus the new ones among `pending` (every merge of the history
 * when `pending` is null: the key pattern changed). `save` records the new ones (call it in the
 * transaction that writes the links they led to).
 */
async function keyedMerges(
  db: Database,
  repoId: string,
  cwd: string,
  matcher: TaskKeyMatcher,
  pending: readonly (CommitRow & { is_merge: number })[] | null,
): Promise<{ all: KeyedMerge[]; save: () => void }> {
  const candidates = pending
    ? pending.filter((c) => c.is_merge)
    : db
        .prepare(`SELECT sha, subject FROM metadata_commits WHERE repo_id = ? AND is_merge = 1 AND is_unreachable = 0`)
        .all<{ sha: string; subject: string }>([repoId]);
  const parents = db.prepare(`SELECT parent_shas FROM metadata_commits WHERE repo_id = ? AND sha = ?`);
  // A two-parent merge on mainline's first-parent chain brought in what landed through it (the
  // stored landing, sql/009): no git process for it.
  const onChain = db.prepare(`SELECT 1 FROM paceflow_mainline_landing WHERE repo_id = ? AND sha = ? AND via_sha = sha`);
  const landedVia = db.prepare(`SELECT sha FROM paceflow_mainline_landing WHERE repo_id = ? AND via_sha = ? AND sha <> via_sha`);
  const added: KeyedMerge[] = [];
  for (const c of candidates) {
    const branch = mergedBranchName(c.subject);
    if (!branch || matcher.keys(branch).length === 0) continue;
    const shas = (parents.get<{ parent_shas: string }>([repoId, c.sha])?.parent_shas ?? '').split(' ');
    const [first, second] = shas;
    if (!first || !second) continue;
    const brought =
      shas.length === 2 && onChain.get([repoId, c.sha])
        ? landedVia.all<{ sha: string }>([repoId, c.sha]).map((r) => r.sha)
        : await commitsReachableOnlyFrom([second], [first], cwd);
    added.push({ sha: c.sha, branch, brought });
  }
  const stored = pending
    ? db
        .prepare(`
          SELECT m.sha, m.branch_name, m.brought FROM paceflow_task_merges m
          CROSS JOIN metadata_commits c ON c.repo_id = m.repo_id AND c.sha = m.sha AND c.is_unreachable = 0
          WHERE m.repo_id = ?`)
        .all<{ sha: string; branch_name: string; brought: string }>([repoId])
        .map((r) => ({ sha: r.sha, branch: r.branch_name, brought: r.brought.split(' ').filter(Boolean) }))
    : [];
  const addedShas = new Set(added.map((m) => m.sha));
  // In sha order, as a scan of the merges gives them (the first claim wins a tie).
  const all = [...stored.filter((m) => !addedShas.has(m.sha)), ...added].sort((a, b) => (a.sha < b.sha ? -1 : a.sha > b.sha ? 1 : 0));
  const save = () => {
    if (!pending) db.prepare(`DELETE FROM paceflow_task_merges WHERE repo_id = ?`).run([repoId]);
    const insert = db.prepare(`INSERT OR REPLACE INTO paceflow_task_merges (repo_id, sha, branch_name, brought) VALUES (?, ?, ?, ?)`);
    for (const m of added) insert.run([repoId, m.sha, m.branch, m.brought.join(' ')]);
  };
  return { all, save };
}

/**
 * Which branch each commit was made on: the commits a branch named for a task has that mainline
 * does not, and for branches merged and deleted, the commits a merge brought in (`Merge branch 'x'`).
 * Where two claim a commit, the more confident wins; at equal confidence, the first.
 */
async function branchClaims(
  cwd: string,
  keyed: readonly BranchRow[],
  mainlineTips: readonly string[],
  merges: readonly KeyedMerge[],
): Promise<Map<string, Claim>> {
  const onBranch = new Map<string, Claim>();
  const claim = (sha: string, branch: string, confidence: number) => {
    const current = onBranch.get(sha);
    if (!current || confidence > current.confidence) onBranch.set(sha, { branch, confidence });
  };
  if (mainlineTips.length > 0) {
    // Every branch's own commits from one git process; a failed read (a missing object) asks per branch.
    const heads = keyed.map((b) => b.head_sha);
    const own = await branchesOnlyFrom(heads, mainlineTips, cwd).catch(() => null);
    for (const b of keyed) {
      const shas = own ? own.get(b.head_sha)!.own : await commitsReachableOnlyFrom([b.head_sha], [...mainlineTips], cwd);
      for (const sha of shas) claim(sha, b.name, CONFIDENCE.branch);
    }
  }
  for (const m of merges) for (const sha of m.brought) claim(sha, m.branch, CONFIDENCE.merged_branch);
  return onBranch;
}

/**
 * event_task_sessions from a session's branch, its prompts and the commits attributed to it, for
 * the sessions queued in paceflow_owed_task_sessions (sql/024: a session row, its prompts' events
 * or its transcript attributions changed; writeCommitLinks queues the sessions a changed commit
 * link can move), or for every session of the repository (`all`: the first build, a changed key
 * pattern or window). Rebuilding every session after each AI commit cost 0.10 s of the worker's
 * 0.40 s on the 80k bench history (3,049 sessions), growing with every session.
 */
function linkSessions(
  db: Database,
  repoId: string,
  matcher: TaskKeyMatcher,
  config: Pick<PaceflowConfig, 'taskCommitWindowHours'>,
  which: 'all' | 'owed',
  alsoInTransaction: () => void,
): void {
  type SessionRow = { session_id: string; git_branch: string | null; started_at: string | null; ended_at: string | null };
  const sql = {
    // The queued sessions of this repository, and queued ones no repository has (gone, or moved
    // out of every repository): their links go.
    owed: db.prepare(`
      SELECT q.session_id FROM paceflow_owed_task_sessions q
      LEFT JOIN metadata_sessions s ON s.session_id = q.session_id
      WHERE s.repo_id = ? OR s.repo_id IS NULL`),
    session: db.prepare(`
      SELECT session_id, git_branch, started_at, ended_at FROM metadata_sessions
      WHERE session_id = ? AND repo_id = ? AND session_kind <> 'subagent'`),
    sessions: db.prepare(
      `SELECT session_id, git_branch, started_at, ended_at FROM metadata_sessions WHERE repo_id = ? AND session_kind <> 'subagent'`,
    ),
    prompts: db.prepare(`
      SELECT r.text FROM event_session_messages m
      JOIN fact_session_records r ON r.session_id = m.session_id AND r.record_id = m.record_id
      WHERE m.session_id = ? AND m.is_user_prompt = 1`),
    // Every session's at once for `all`: one walk of the attributions instead of one per session.
    attributedKeys: db.prepare(`
      SELECT DISTINCT a.session_id, t.task_key FROM event_commit_attributions a
      JOIN event_task_commits t ON t.repo_id = a.repo_id AND t.sha = a.sha
      WHERE a.repo_id = ? AND a.source = 'transcript'`),
    // One session's, by its index (sql/024).
    attributedKeysOf: db.prepare(`
      SELECT DISTINCT t.task_key FROM event_commit_attributions a INDEXED BY event_commit_attributions_by_session
      JOIN event_task_commits t ON t.repo_id = a.repo_id AND t.sha = a.sha
      WHERE a.session_id = ? AND a.repo_id = ? AND a.source = 'transcript'`),
    keysOf: db.prepare(`SELECT task_key FROM event_task_sessions WHERE session_id = ?`),
    clearSession: db.prepare(`DELETE FROM event_task_sessions WHERE session_id = ?`),
    clearSessions: db.prepare(`
      DELETE FROM event_task_sessions WHERE session_id IN (SELECT session_id FROM metadata_sessions WHERE repo_id = ?)`),
    paid: db.prepare(`DELETE FROM paceflow_owed_task_sessions WHERE session_id = ?`),
    paidAll: db.prepare(`
      DELETE FROM paceflow_owed_task_sessions WHERE session_id IN (SELECT session_id FROM metadata_sessions WHERE repo_id = ?)`),
    // From the second the session started: git keeps whole seconds, so a commit in that second
    // may be after its first record (attribution's rule gives a write the same second).
    taskSession: db.prepare(`
      INSERT INTO event_task_sessions (task_key, session_id, session_weight, commit_within_window, link_source)
      SELECT @key, @session, @weight,
        EXISTS (SELECT 1 FROM event_task_commits t JOIN metadata_commits c ON c.repo_id = t.repo_id AND c.sha = t.sha
                WHERE t.task_key = @key AND t.repo_id = @repo
                  AND julianday(c.committed_at) >= julianday(strftime('%Y-%m-%dT%H:%M:%S', @started))
                  AND julianday(c.committed_at) <= julianday(@ended) + @windowDays),
        @source`),
  };
  const owed = sql.owed.all<{ session_id: string }>([repoId]).map((r) => r.session_id);
  if (which === 'owed' && owed.length === 0) return;

  // The keys whose session links this run removes or adds: their metadata_tasks rows are derived again.
  const touched = new Set<string>();
  const linked = new Set<string>();
  const link = (s: SessionRow, attributed: readonly string[]) => {
    linked.add(s.session_id);
    const links = new Map<string, 'session_branch' | 'prompt' | 'commit'>();
    for (const key of matcher.keys(s.git_branch)) links.set(key, 'session_branch');
    for (const { text } of sql.prompts.all<{ text: string | null }>([s.session_id])) {
      for (const key of matcher.keys(text)) if (!links.has(key)) links.set(key, 'prompt');
    }
    for (const key of attributed) if (!links.has(key)) links.set(key, 'commit');
    // A session that spans several tasks counts a share in each: its weights sum to 1.
    const weight = 1 / links.size;
    for (const [key, source] of links) {
      touched.add(key);
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
    }
  };
  db.transaction(() => {
    if (which === 'all') {
      for (const { task_key } of db
        .prepare(`
          SELECT DISTINCT task_key FROM event_task_sessions
          WHERE session_id IN (SELECT session_id FROM metadata_sessions WHERE repo_id = ?)`)
        .all<{ task_key: string }>([repoId]))
        touched.add(task_key);
      sql.clearSessions.run([repoId]);
      const attributedKeys = new Map<string, string[]>();
      for (const { session_id, task_key } of sql.attributedKeys.all<{ session_id: string; task_key: string }>([repoId])) {
        const keys = attributedKeys.get(session_id);
        if (keys) keys.push(task_key);
        else attributedKeys.set(session_id, [task_key]);
      }
      for (const s of sql.sessions.all<SessionRow>([repoId])) link(s, attributedKeys.get(s.session_id) ?? []);
      sql.paidAll.run([repoId]);
    }
    // The queued sessions (after `all`: the ones no repository has any more).
    for (const id of owed) {
      if (linked.has(id)) continue;
      for (const { task_key } of sql.keysOf.all<{ task_key: string }>([id])) touched.add(task_key);
      sql.clearSession.run([id]);
      const s = sql.session.get<SessionRow>([id, repoId]);
      if (s)
        link(
          s,
          sql.attributedKeysOf.all<{ task_key: string }>([id, repoId]).map((r) => r.task_key),
        );
      sql.paid.run([id]);
    }
    deriveTasks(db, touched);
    alsoInTransaction();
  });
}

/**
 * metadata_tasks for `keys`, derived from the links there are now (of every repository): a task is
 * first seen at its earliest linked commit, or the start of a session linked by branch or prompt,
 * from that link's source (the earlier source name on a tie). A key no link names any more has no
 * row: the table is what a build from scratch makes, whatever links earlier runs made and dropped.
 */
function deriveTasks(db: Database, keys: ReadonlySet<string>): void {
  const drop = db.prepare(`DELETE FROM metadata_tasks WHERE task_key = ?`);
  const derive = db.prepare(`
    INSERT INTO metadata_tasks (task_key, source, first_seen_at)
    SELECT @key, source, at FROM (
      SELECT t.key_source AS source, c.committed_at AS at FROM event_task_commits t
      JOIN metadata_commits c ON c.repo_id = t.repo_id AND c.sha = t.sha
      WHERE t.task_key = @key
      UNION ALL
      SELECT s.link_source, m.started_at FROM event_task_sessions s
      JOIN metadata_sessions m ON m.session_id = s.session_id
      WHERE s.task_key = @key AND s.link_source <> 'commit' AND m.started_at IS NOT NULL
    ) ORDER BY at, source LIMIT 1`);
  for (const key of keys) {
    drop.run([key]);
    derive.run({ key });
  }
}
