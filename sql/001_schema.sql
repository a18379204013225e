-- paceflow schema, version 1: the whole data model of DESIGN §3.
--
-- Layers: metadata_* (entities and context, joined not aggregated), fact_* (source-derived truth,
-- minimal interpretation), event_* (the analytics contract, one grain each). Metrics live only in
-- the view_* files of sql/views/.
--
-- Conventions: every table's PRIMARY KEY is its grain. Times are ISO-8601 UTC text
-- ('YYYY-MM-DDTHH:MM:SS.sssZ'), which sorts and which julianday() reads. Booleans are 0/1.
-- repo_id is stable across machines (normalized origin URL, else the root commit sha);
-- session_id is '<provider>:<native id>'; paths are repo-relative POSIX paths (a path that is not
-- valid UTF-8 is kept in git's C-quoted form, so no two paths collide).

-- Internal bookkeeping (schema checksum of the views); not part of the data model.
CREATE TABLE paceflow_meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

------------------------------------------------------------------------------------------------
-- metadata_*
------------------------------------------------------------------------------------------------

-- Grain: one row per repository (repo_id).
CREATE TABLE metadata_repositories (
  repo_id           TEXT PRIMARY KEY,
  root_path         TEXT NOT NULL,           -- absolute work-tree root on this machine (local only)
  remote_url        TEXT,                    -- origin URL as configured (credentials stripped)
  mainline_branch   TEXT,                    -- branch name, e.g. 'main'
  mainline_source   TEXT CHECK (mainline_source IN ('config', 'origin_head', 'main', 'master', 'current')),
  is_shallow        INTEGER NOT NULL DEFAULT 0,
  first_seen_at     TEXT NOT NULL,
  last_ingested_at  TEXT
) WITHOUT ROWID;

-- Grain: one row per AI session (session_id = '<provider>:<native id>').
CREATE TABLE metadata_sessions (
  session_id         TEXT PRIMARY KEY,
  provider           TEXT NOT NULL,
  native_id          TEXT NOT NULL,
  parent_session_id  TEXT,                   -- sub-agents and forks point at their parent
  model              TEXT,
  repo_id            TEXT,                   -- NULL for sessions outside any repository
  cwd                TEXT,
  git_branch         TEXT,
  started_at         TEXT,
  ended_at           TEXT,
  session_kind       TEXT NOT NULL DEFAULT 'main' CHECK (session_kind IN ('main', 'subagent', 'fork')),
  title              TEXT,                   -- the assistant's own title for the conversation
  client_version     TEXT,                   -- the assistant's version that wrote the transcript
  source_path        TEXT NOT NULL           -- local only
) WITHOUT ROWID;
CREATE INDEX metadata_sessions_by_source ON metadata_sessions (source_path);

-- Grain: one row per canonical file path within a repository.
CREATE TABLE metadata_files (
  repo_id            TEXT NOT NULL,
  path               TEXT NOT NULL,
  first_seen_commit  TEXT NOT NULL,          -- earliest commit (committer time) that touched the path
  first_seen_at      TEXT NOT NULL,
  language           TEXT,                   -- from the file name; NULL when unknown
  PRIMARY KEY (repo_id, path)
) WITHOUT ROWID;

-- Grain: one row per git commit of a repository.
CREATE TABLE metadata_commits (
  repo_id              TEXT NOT NULL,
  sha                  TEXT NOT NULL,
  parent_shas          TEXT NOT NULL,        -- space-separated, in git's order; '' for a root commit
  parent_count         INTEGER NOT NULL,
  author_name          TEXT NOT NULL,
  author_email         TEXT NOT NULL,
  authored_at          TEXT NOT NULL,
  author_tz            TEXT NOT NULL,        -- the author's offset, e.g. '+02:00'
  committer_name       TEXT NOT NULL,
  committer_email      TEXT NOT NULL,
  committed_at         TEXT NOT NULL,
  committer_tz         TEXT NOT NULL,
  subject              TEXT NOT NULL,        -- git's %s: the first paragraph on one line
  message              TEXT NOT NULL,        -- the whole message (local only; never exported)
  is_merge             INTEGER NOT NULL,
  is_root              INTEGER NOT NULL,
  is_shallow_boundary  INTEGER NOT NULL DEFAULT 0, -- parents cut off by a shallow clone
  is_unreachable       INTEGER NOT NULL DEFAULT 0, -- no ref reaches it any more (amended, rebased, branch deleted)
  ai_marker            TEXT,                 -- provider named by a trailer or author marker
  ai_marker_source     TEXT CHECK (ai_marker_source IN ('trailer', 'message', 'author', 'committer', 'subject')),
  pr_number            INTEGER,              -- from '(#N)' or 'Merge pull request #N'
  PRIMARY KEY (repo_id, sha)
) WITHOUT ROWID;
CREATE INDEX metadata_commits_by_time ON metadata_commits (repo_id, committed_at);

-- Grain: one row per (commit, file) of a non-merge commit's diff against its parent
-- (merges carry no rows: their lines belong to the commits they merge).
CREATE TABLE metadata_commit_file_changes (
  repo_id        TEXT NOT NULL,
  sha            TEXT NOT NULL,
  path           TEXT NOT NULL,              -- the path after the change
  old_path       TEXT,                       -- the path before a rename or copy
  change_type    TEXT NOT NULL CHECK (change_type IN ('A', 'M', 'D', 'R', 'C', 'T', 'U', 'X')),
  similarity     INTEGER,                    -- rename/copy score, 0-100
  added_lines    INTEGER,                    -- NULL for binary files
  deleted_lines  INTEGER,                    -- NULL for binary files
  is_binary      INTEGER NOT NULL,
  PRIMARY KEY (repo_id, sha, path)
) WITHOUT ROWID;

-- Grain: one row per recognized task key (e.g. 'ABC-123').
CREATE TABLE metadata_tasks (
  task_key       TEXT PRIMARY KEY,
  source         TEXT NOT NULL CHECK (source IN ('branch', 'pr_title', 'commit_subject', 'session_branch', 'prompt')),
  first_seen_at  TEXT NOT NULL
) WITHOUT ROWID;

-- Grain: one row per observed branch of a repository: local ('main') and remote-tracking
-- ('origin/main') branches are separate rows.
CREATE TABLE metadata_branches (
  repo_id        TEXT NOT NULL,
  name           TEXT NOT NULL,
  is_remote      INTEGER NOT NULL,
  is_mainline    INTEGER NOT NULL,
  head_sha       TEXT NOT NULL,
  is_present     INTEGER NOT NULL,           -- 0 once the ref is gone from the repository
  first_seen_at  TEXT NOT NULL,
  last_seen_at   TEXT NOT NULL,              -- when a run last wrote the row (new, moved, back, mainline changed); present means seen at the repository's last_ingested_at
  PRIMARY KEY (repo_id, name)
) WITHOUT ROWID;

------------------------------------------------------------------------------------------------
-- fact_*
------------------------------------------------------------------------------------------------

-- Grain: one row per record of a session transcript (record_id is the provider's record id,
-- or a stable id derived from the record's position when the provider has none).
CREATE TABLE fact_session_records (
  session_id         TEXT NOT NULL,
  record_id          TEXT NOT NULL,
  kind               TEXT NOT NULL CHECK (kind IN ('prompt', 'assistant', 'tool_call', 'tool_result', 'system', 'compaction', 'meta')),
  timestamp          TEXT,
  text               TEXT,                   -- prompts and shell commands only (local only)
  tool_name          TEXT,
  tool_call_id       TEXT,
  is_error           INTEGER NOT NULL DEFAULT 0,
  is_sidechain       INTEGER NOT NULL DEFAULT 0,
  is_meta            INTEGER NOT NULL DEFAULT 0,
  model              TEXT,
  message_id         TEXT,                   -- provider message id (token dedupe key with request_id)
  request_id         TEXT,
  tokens_in          INTEGER,
  tokens_out         INTEGER,
  tokens_cache_read  INTEGER,
  tokens_cache_write INTEGER,
  source_path        TEXT NOT NULL,
  source_offset      INTEGER,                -- byte offset of the record in source_path
  PRIMARY KEY (session_id, record_id)
) WITHOUT ROWID;
-- Record ids are unique per provider across sessions: copies (resumes, forks) are found by id.
CREATE INDEX fact_session_records_by_record ON fact_session_records (record_id);

-- Grain: one row per file edit a session attempted (applied, rejected or failed).
CREATE TABLE fact_session_file_edits (
  session_id    TEXT NOT NULL,
  edit_id       TEXT NOT NULL,
  record_id     TEXT,                        -- the record that carried the edit
  tool_name     TEXT NOT NULL,
  abs_path      TEXT NOT NULL,               -- local only
  repo_id       TEXT,
  path          TEXT,                        -- repo-relative; NULL outside any repository
  status        TEXT NOT NULL CHECK (status IN ('applied', 'rejected', 'failed', 'pending')), -- pending: no result seen
  timestamp     TEXT,
  added_text    TEXT,                        -- the lines the edit really added (local only)
  removed_text  TEXT,
  text_source   TEXT,                        -- where added_text came from: 'result' (applied diff) or 'input'
  user_modified INTEGER NOT NULL DEFAULT 0,  -- the person changed the proposal before accepting
  source_path   TEXT NOT NULL,               -- local only
  PRIMARY KEY (session_id, edit_id)
) WITHOUT ROWID;
CREATE INDEX fact_session_file_edits_by_edit ON fact_session_file_edits (edit_id);
CREATE INDEX fact_session_file_edits_by_source ON fact_session_file_edits (source_path, status);

-- Grain: one row per (commit, notes ref): the raw note as found.
CREATE TABLE fact_commit_notes (
  repo_id    TEXT NOT NULL,
  sha        TEXT NOT NULL,
  notes_ref  TEXT NOT NULL,                  -- 'refs/notes/paceflow' or git-ai's 'refs/notes/ai'
  note_text  TEXT NOT NULL,
  read_at    TEXT NOT NULL,
  PRIMARY KEY (repo_id, sha, notes_ref)
) WITHOUT ROWID;

-- Grain: one row per source file read incrementally (a transcript, a history file, a database).
CREATE TABLE fact_ingest_watermarks (
  source_path    TEXT PRIMARY KEY,
  provider       TEXT NOT NULL,
  size           INTEGER NOT NULL,
  mtime_ms       INTEGER NOT NULL,
  byte_offset    INTEGER NOT NULL,           -- bytes already read
  record_index   INTEGER NOT NULL DEFAULT 0, -- records already read
  head_length    INTEGER NOT NULL DEFAULT 0, -- how many leading bytes head_checksum covers
  head_checksum  TEXT,                       -- checksum of the first bytes: a rewrite is re-read
  skipped_lines  INTEGER NOT NULL DEFAULT 0, -- lines skipped so far (malformed, oversized, unknown)
  last_skip      TEXT,                       -- the last skip: reason and line number
  updated_at     TEXT NOT NULL
) WITHOUT ROWID;

-- Grain: one row per commit whose patch-ids were computed (git patch-id --stable, no path
-- prefixes): of its diff, and of the reversed diff (to find reverts). Computed once, reused.
CREATE TABLE fact_commit_patch_ids (
  repo_id     TEXT NOT NULL,
  sha         TEXT NOT NULL,
  forward_id  TEXT,                           -- NULL for an empty diff
  reverse_id  TEXT,                           -- NULL until asked for, or for an empty diff
  has_reverse INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (repo_id, sha)
) WITHOUT ROWID;

-- Grain: one row per git ref of a repository at its last ingest: the git watermark. A re-run walks
-- only commits not reachable from these tips.
CREATE TABLE fact_git_ref_tips (
  repo_id      TEXT NOT NULL,
  ref_name     TEXT NOT NULL,                -- full name, e.g. 'refs/heads/main'; 'HEAD' when detached
  sha          TEXT NOT NULL,                -- the commit the ref points at (tags peeled)
  ingested_at  TEXT NOT NULL,                -- when a run recorded the ref at this sha
  PRIMARY KEY (repo_id, ref_name)
) WITHOUT ROWID;

------------------------------------------------------------------------------------------------
-- event_*
------------------------------------------------------------------------------------------------

-- Grain: one row per ingested session message/record.
CREATE TABLE event_session_messages (
  session_id      TEXT NOT NULL,
  record_id       TEXT NOT NULL,
  provider        TEXT NOT NULL,
  repo_id         TEXT,
  kind            TEXT NOT NULL,
  timestamp       TEXT,
  is_user_prompt  INTEGER NOT NULL,
  is_error_paste  INTEGER NOT NULL,
  is_tool_error   INTEGER NOT NULL,
  PRIMARY KEY (session_id, record_id)
) WITHOUT ROWID;

-- Grain: one row per file write operation of a session.
CREATE TABLE event_session_code_changes (
  session_id              TEXT NOT NULL,
  edit_id                 TEXT NOT NULL,
  provider                TEXT NOT NULL,
  repo_id                 TEXT,
  path                    TEXT,
  root_session_id         TEXT NOT NULL,     -- the session itself, or a sub-agent's parent
  tool_name               TEXT NOT NULL,
  timestamp               TEXT,
  lines_added             INTEGER NOT NULL,
  lines_removed           INTEGER NOT NULL,
  nontrivial_lines_added  INTEGER NOT NULL,
  status                  TEXT NOT NULL CHECK (status IN ('applied', 'rejected', 'failed', 'pending')),
  PRIMARY KEY (session_id, edit_id)
) WITHOUT ROWID;

-- Grain: one row per session (sub-agents included, flagged).
CREATE TABLE event_session_quality (
  session_id               TEXT PRIMARY KEY,
  provider                 TEXT NOT NULL,
  repo_id                  TEXT,
  root_session_id          TEXT NOT NULL,
  is_subagent              INTEGER NOT NULL,
  model                    TEXT,
  git_branch               TEXT,
  started_at               TEXT,
  ended_at                 TEXT,
  duration_s               INTEGER,
  user_prompt_count        INTEGER NOT NULL,
  repeated_debug_loop      INTEGER NOT NULL,
  mid_session_error_paste  INTEGER NOT NULL,
  tool_errors              INTEGER NOT NULL,  -- tool calls with a failed result
  lines_written            INTEGER NOT NULL,  -- lines added by applied edits
  tokens_in                INTEGER NOT NULL,  -- deduplicated per model response
  tokens_out               INTEGER NOT NULL
) WITHOUT ROWID;

-- Grain: one row per (commit, provider, session) that wrote lines of the commit. session_id is ''
-- when the source names no session (a trailer).
CREATE TABLE event_commit_attributions (
  repo_id          TEXT NOT NULL,
  sha              TEXT NOT NULL,
  provider         TEXT NOT NULL,
  session_id       TEXT NOT NULL,
  model            TEXT,
  matched_lines    INTEGER NOT NULL,
  share_of_commit  REAL,
  source           TEXT NOT NULL CHECK (source IN ('transcript', 'note', 'trailer')),
  PRIMARY KEY (repo_id, sha, provider, session_id)
) WITHOUT ROWID;

-- Grain: one row per commit: its attribution and what became of it.
CREATE TABLE event_commit_outcomes (
  repo_id                 TEXT NOT NULL,
  sha                     TEXT NOT NULL,
  committed_at            TEXT NOT NULL,
  nontrivial_added_lines  INTEGER NOT NULL,
  ai_lines                INTEGER NOT NULL,
  ai_share                REAL,
  heavy_ai                INTEGER NOT NULL,
  attribution_coverage    TEXT NOT NULL CHECK (attribution_coverage IN ('tracked', 'untracked')),
  attribution_source      TEXT CHECK (attribution_source IN ('transcript', 'note', 'trailer')),
  merged_to_mainline      INTEGER,             -- NULL until the mainline builder ran (no mainline: stays NULL)
  mainline_via            TEXT CHECK (mainline_via IN ('ancestor', 'patch-id', 'squash', 'content')),
  reached_mainline_at     TEXT,
  merge_window_closed     INTEGER,             -- older than mergedMinAgeDays when last built
  reverted_later          INTEGER,
  reverted_by             TEXT,
  revert_kind             TEXT CHECK (revert_kind IN ('message', 'diff-inversion', 'partial')),
  revert_window_closed    INTEGER,             -- reached mainline more than revertWindowDays ago
  PRIMARY KEY (repo_id, sha)
) WITHOUT ROWID;

-- Grain: one row per commit whose AI lines reached mainline.
CREATE TABLE event_commit_churn (
  repo_id                     TEXT NOT NULL,
  sha                         TEXT NOT NULL,
  window_days                 INTEGER NOT NULL,
  ai_lines_reaching_mainline  INTEGER NOT NULL,
  ai_lines_churned            INTEGER NOT NULL,
  window_closed               INTEGER NOT NULL,
  PRIMARY KEY (repo_id, sha)
) WITHOUT ROWID;

-- Grain: one row per (task, commit).
CREATE TABLE event_task_commits (
  task_key     TEXT NOT NULL,
  repo_id      TEXT NOT NULL,
  sha          TEXT NOT NULL,
  branch_name  TEXT,
  fallback     INTEGER NOT NULL,             -- 1 when the key came from the PR title or subject
  confidence   REAL NOT NULL,
  key_source   TEXT NOT NULL CHECK (key_source IN ('branch', 'pr_title', 'commit_subject')),
  PRIMARY KEY (task_key, repo_id, sha)
) WITHOUT ROWID;

-- Grain: one row per (task, session).
CREATE TABLE event_task_sessions (
  task_key              TEXT NOT NULL,
  session_id            TEXT NOT NULL,
  session_weight        REAL NOT NULL,       -- a session's weights sum to 1
  commit_within_window  INTEGER NOT NULL,
  link_source           TEXT NOT NULL CHECK (link_source IN ('session_branch', 'prompt', 'commit')),
  PRIMARY KEY (task_key, session_id)
) WITHOUT ROWID;
