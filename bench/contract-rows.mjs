// Random but consistent rows for every table of the sync contract (src/sync/contract.ts), written
// straight into a paceflow database: repositories, commits with outcomes, attributions, churn and
// task links, sessions with messages, edits and quality rows. The warehouse tests use it for views
// on varied data, and bench/sync.mjs for a million event rows. Written against paceflow's Database
// interface (prepare/run/transaction), so a test (TypeScript) and the bench (dist/) share it.

/** A small deterministic PRNG (mulberry32). */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const iso = (ms) => new Date(ms).toISOString();
const hex = (rand, n = 40) => Array.from({ length: n }, () => Math.floor(rand() * 16).toString(16)).join('');

/**
 * Fills `db` and returns what it wrote. Options: seed, repos, commitsPerRepo, sessionsPerRepo,
 * messagesPerSession, start (ms), and idPrefix (session ids, so two machines can hold different
 * sessions of the same repositories).
 */
export function fillContract(db, options = {}) {
  const {
    seed = 1,
    repos = 2,
    commitsPerRepo = 40,
    sessionsPerRepo = 6,
    messagesPerSession = 20,
    start = Date.parse('2025-06-01T00:00:00Z'),
    idPrefix = 's',
  } = options;
  const rand = prng(seed);
  const int = (n) => Math.floor(rand() * n);
  const counts = { commits: 0, sessions: 0, messages: 0, eventRows: 0 };
  const providers = ['claude-code', 'codex', 'gemini-cli', 'cursor'];
  const st = {
    repo: db.prepare(`INSERT OR IGNORE INTO metadata_repositories (repo_id, root_path, remote_url, mainline_branch, mainline_source, first_seen_at, last_ingested_at)
      VALUES (?, ?, ?, 'main', 'main', ?, ?)`),
    branch:
      db.prepare(`INSERT OR REPLACE INTO metadata_branches (repo_id, name, is_remote, is_mainline, head_sha, is_present, first_seen_at, last_seen_at)
      VALUES (?, 'main', 0, 1, ?, 1, ?, ?)`),
    commit:
      db.prepare(`INSERT OR IGNORE INTO metadata_commits (repo_id, sha, parent_shas, parent_count, author_name, author_email, authored_at, author_tz,
      committer_name, committer_email, committed_at, committer_tz, subject, message, is_merge, is_root, ai_marker, ai_marker_source, pr_number)
      VALUES (?, ?, ?, ?, ?, ?, ?, '+00:00', ?, ?, ?, '+00:00', ?, ?, ?, ?, ?, ?, ?)`),
    outcome:
      db.prepare(`INSERT OR REPLACE INTO event_commit_outcomes (repo_id, sha, committed_at, nontrivial_added_lines, ai_lines, ai_share, heavy_ai,
      attribution_coverage, attribution_source, merged_to_mainline, mainline_via, reached_mainline_at, merge_window_closed, reverted_later, reverted_by,
      revert_kind, revert_window_closed, mainline_sha) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    attribution:
      db.prepare(`INSERT OR REPLACE INTO event_commit_attributions (repo_id, sha, provider, session_id, model, matched_lines, share_of_commit, source)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
    churn: db.prepare(`INSERT OR REPLACE INTO event_commit_churn (repo_id, sha, window_days, ai_lines_reaching_mainline, ai_lines_churned,
      nonai_lines_reaching_mainline, nonai_lines_churned, window_closed) VALUES (?, ?, 14, ?, ?, ?, ?, ?)`),
    taskCommit:
      db.prepare(`INSERT OR REPLACE INTO event_task_commits (task_key, repo_id, sha, branch_name, fallback, confidence, key_source)
      VALUES (?, ?, ?, ?, ?, ?, ?)`),
    session:
      db.prepare(`INSERT OR REPLACE INTO metadata_sessions (session_id, provider, native_id, parent_session_id, model, repo_id, cwd, git_branch,
      started_at, ended_at, session_kind, title, client_version, source_path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    message:
      db.prepare(`INSERT OR REPLACE INTO event_session_messages (session_id, record_id, provider, repo_id, kind, timestamp, is_user_prompt, is_error_paste, is_tool_error)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    change:
      db.prepare(`INSERT OR REPLACE INTO event_session_code_changes (session_id, edit_id, provider, repo_id, path, root_session_id, tool_name, timestamp,
      lines_added, lines_removed, nontrivial_lines_added, status) VALUES (?, ?, ?, ?, ?, ?, 'Edit', ?, ?, ?, ?, ?)`),
    quality:
      db.prepare(`INSERT OR REPLACE INTO event_session_quality (session_id, provider, repo_id, root_session_id, is_subagent, model, git_branch, started_at,
      ended_at, duration_s, user_prompt_count, repeated_debug_loop, mid_session_error_paste, tool_errors, lines_written, tokens_in, tokens_out)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    taskSession:
      db.prepare(`INSERT OR REPLACE INTO event_task_sessions (task_key, session_id, session_weight, commit_within_window, link_source)
      VALUES (?, ?, ?, ?, ?)`),
  };
  db.transaction(() => {
    for (let r = 0; r < repos; r++) {
      const repoId = `github.com/team/repo-${r}`;
      st.repo.run([repoId, `/home/dev/src/repo-${r}`, `git@github.com:team/repo-${r}.git`, iso(start), iso(start)]);
      let parent = '';
      let tip = '';
      const shas = [];
      for (let c = 0; c < commitsPerRepo; c++) {
        const sha = hex(rand);
        const at = iso(start + c * 3_600_000 * 7 + int(3_600_000));
        const merge = c > 0 && rand() < 0.08;
        const marker = rand() < 0.1 ? providers[int(4)] : null;
        st.commit.run([
          repoId,
          sha,
          parent,
          parent ? 1 : 0,
          `Dev ${int(5)}`,
          `dev${int(5)}@example.com`,
          at,
          `Dev ${int(5)}`,
          `dev${int(5)}@example.com`,
          at,
          `TASK-${1 + int(9)} change ${c}`,
          'local only',
          merge ? 1 : 0,
          parent ? 0 : 1,
          marker,
          marker ? 'trailer' : null,
          rand() < 0.3 ? 1 + int(200) : null,
        ]);
        counts.commits++;
        parent = sha;
        tip = sha;
        if (merge) continue;
        shas.push(sha);
        const lines = int(60);
        const source = rand() < 0.5 ? ['transcript', 'note', 'trailer'][int(3)] : null;
        const ai = source ? int(lines + 1) : 0;
        const merged = rand() < 0.85 ? 1 : 0;
        const reverted = merged && rand() < 0.05 ? 1 : 0;
        st.outcome.run([
          repoId,
          sha,
          at,
          lines,
          ai,
          lines ? Math.round((ai / lines) * 1e4) / 1e4 : null,
          ai >= 3 && ai * 2 >= lines ? 1 : 0,
          source ? 'tracked' : 'untracked',
          source,
          merged,
          merged ? 'ancestor' : null,
          merged ? at : null,
          1,
          merged ? reverted : null,
          reverted ? hex(rand) : null,
          reverted ? 'message' : null,
          merged ? 1 : null,
          merged ? sha : null,
        ]);
        counts.eventRows++;
        if (source) {
          st.attribution.run([
            repoId,
            sha,
            providers[int(4)],
            source === 'trailer' ? '' : `claude-code:${idPrefix}${int(1000)}`,
            'model-x',
            ai,
            lines ? ai / lines : null,
            source,
          ]);
          counts.eventRows++;
        }
        if (merged) {
          st.churn.run([repoId, sha, ai, int(ai + 1), lines - ai, int(lines - ai + 1), rand() < 0.9 ? 1 : 0]);
          counts.eventRows++;
        }
        if (rand() < 0.4) {
          st.taskCommit.run([
            `TASK-${1 + int(9)}`,
            repoId,
            sha,
            rand() < 0.5 ? `feature/TASK-${1 + int(9)}` : null,
            int(2),
            0.5 + int(2) / 2,
            'branch',
          ]);
          counts.eventRows++;
        }
      }
      st.branch.run([repoId, tip, iso(start), iso(start)]);
      let firstSession = null;
      for (let s = 0; s < sessionsPerRepo; s++) {
        const provider = providers[int(4)];
        const id = `${provider}:${idPrefix}-${r}-${s}-${hex(rand, 8)}`;
        const begin = start + int(3_600_000 * 24 * 60);
        const sub = firstSession !== null && rand() < 0.2;
        const root = sub ? firstSession : id;
        firstSession ??= id;
        st.session.run([
          id,
          provider,
          id.split(':')[1],
          null,
          'model-x',
          repoId,
          `/home/dev/src/repo-${r}`,
          `feature/TASK-${1 + int(9)}`,
          iso(begin),
          iso(begin + 600_000),
          sub ? 'subagent' : 'main',
          'a title from the prompt',
          '1.0.0',
          `/home/dev/.claude/projects/x/${s}.jsonl`,
        ]);
        counts.sessions++;
        let prompts = 0;
        for (let m = 0; m < messagesPerSession; m++) {
          const prompt = rand() < 0.1 ? 1 : 0;
          prompts += prompt;
          st.message.run([
            id,
            `r${m.toString(36)}-${hex(rand, 6)}`,
            provider,
            repoId,
            prompt ? 'prompt' : ['assistant', 'tool_call', 'tool_result'][int(3)],
            iso(begin + m * 1000),
            prompt,
            prompt && rand() < 0.1 ? 1 : 0,
            rand() < 0.02 ? 1 : 0,
          ]);
          counts.messages++;
          counts.eventRows++;
        }
        for (let e = 0, n = int(5); e < n; e++) {
          st.change.run([
            id,
            `toolu_${hex(rand, 10)}`,
            provider,
            repoId,
            `src/file${int(20)}.ts`,
            root,
            iso(begin + e * 5000),
            int(40),
            int(10),
            int(30),
            ['applied', 'rejected', 'failed', 'pending'][int(4)],
          ]);
          counts.eventRows++;
        }
        st.quality.run([
          id,
          provider,
          repoId,
          root,
          sub ? 1 : 0,
          'model-x',
          'feature/x',
          iso(begin),
          iso(begin + 600_000),
          600,
          prompts,
          int(2),
          int(2),
          int(3),
          int(200),
          int(100_000),
          int(10_000),
        ]);
        counts.eventRows++;
        if (rand() < 0.5) {
          st.taskSession.run([`TASK-${1 + int(9)}`, id, 1, int(2), 'session_branch']);
          counts.eventRows++;
        }
      }
    }
  });
  return counts;
}
