-- paceflow warehouse schema, version 1 (PostgreSQL 13 or newer), in the schema "paceflow".
--
-- What machines send (DESIGN §9): the sync contract of src/sync/contract.ts — every event_* table
-- and the metadata_* columns the views join on — with no prompt or response text, code, file
-- contents or home-directory paths. Each machine's rows are kept apart (sync_* tables, keyed by
-- machine_id, replaced group by group as that machine's data changes), and the tables the views
-- read (metadata_*, event_*: views here) pick, for each group, the rows of the machine that wins it:
--   sessions      the newest read of the transcript (transcript_read_at), then machine_id;
--   commits       attribution columns and attribution rows: the strongest evidence (4 transcript,
--                 3 paceflow note, 2 git-ai note, 1 trailer/marker, 0 none), then the newest build
--                 of the repository on that machine; mainline and revert columns, churn, task links
--                 and commit metadata: the newest view of mainline (the committer time of the
--                 machine's mainline tip), then the evidence, then the newest build;
--   repositories  the newest view of mainline, then the newest build.
-- The winners are recomputed from every machine's latest rows (sync_*_winners) at the end of each
-- sync, so the answer does not depend on the order machines sync in. Times are ISO-8601 UTC text,
-- as in SQLite, so the same view SQL runs on both; flags are 0/1 integers.

-- Bookkeeping: the schema version ('schema_version') and the views' checksum ('views_checksum').
CREATE TABLE paceflow_warehouse (
  key   text PRIMARY KEY,
  value text NOT NULL
);

-- Grain: one row per machine that ever synced (a random id made at its first run: no host or user name).
CREATE TABLE sync_machines (
  machine_id        text PRIMARY KEY,
  paceflow_version  text NOT NULL,
  first_synced_at   timestamptz NOT NULL DEFAULT now(),
  last_synced_at    timestamptz NOT NULL DEFAULT now()
);

-- Grain: one row per (machine, repository): how new that machine's picture of the repository is.
CREATE TABLE sync_machine_repositories (
  machine_id   text NOT NULL,
  repo_id      text NOT NULL,
  mainline_at  text,            -- committer time of the machine's mainline tip (NULL: no mainline)
  built_at     text,            -- when the machine last ingested the repository
  PRIMARY KEY (machine_id, repo_id)
);

-- Work a sync owes the winners: repositories and sessions whose rows changed, written in the same
-- transaction as the rows, removed in the one that recomputes their winners (a sync killed in
-- between leaves them here, and the next sync, from any machine, finishes it).
CREATE TABLE sync_pending_repositories (repo_id text PRIMARY KEY);
CREATE TABLE sync_pending_sessions (session_id text PRIMARY KEY);

-- Grain: one row per (machine, repo_id): each machine's latest metadata_repositories rows.
CREATE TABLE sync_metadata_repositories (
  machine_id                     text NOT NULL,
  repo_id                        text NOT NULL,
  root_path                      text,
  remote_url                     text,
  mainline_branch                text,
  mainline_source                text,
  is_shallow                     bigint,
  first_seen_at                  text,
  paceflow_version               text NOT NULL,
  synced_at                      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (machine_id, repo_id)
);

-- Grain: one row per (machine, repo_id, sha): each machine's latest metadata_commits rows.
CREATE TABLE sync_metadata_commits (
  machine_id                     text NOT NULL,
  repo_id                        text NOT NULL,
  sha                            text NOT NULL,
  parent_shas                    text,
  parent_count                   bigint,
  author_name                    text,
  author_email                   text,
  authored_at                    text,
  committer_name                 text,
  committer_email                text,
  committed_at                   text,
  subject                        text,
  is_merge                       bigint,
  is_root                        bigint,
  is_shallow_boundary            bigint,
  is_unreachable                 bigint,
  ai_marker                      text,
  ai_marker_source               text,
  ai_committed_by                text,
  pr_number                      bigint,
  paceflow_version               text NOT NULL,
  synced_at                      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (machine_id, repo_id, sha)
);

-- Grain: one row per (machine, session_id): each machine's latest metadata_sessions rows.
CREATE TABLE sync_metadata_sessions (
  machine_id                     text NOT NULL,
  session_id                     text NOT NULL,
  provider                       text,
  parent_session_id              text,
  model                          text,
  repo_id                        text,
  git_branch                     text,
  started_at                     text,
  ended_at                       text,
  session_kind                   text,
  client_version                 text,
  transcript_read_at             text,
  paceflow_version               text NOT NULL,
  synced_at                      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (machine_id, session_id)
);

-- Grain: one row per (machine, session_id, record_id): each machine's latest event_session_messages rows.
CREATE TABLE sync_event_session_messages (
  machine_id                     text NOT NULL,
  session_id                     text NOT NULL,
  record_id                      text NOT NULL,
  provider                       text,
  repo_id                        text,
  kind                           text,
  timestamp                      text,
  is_user_prompt                 bigint,
  is_error_paste                 bigint,
  is_tool_error                  bigint,
  paceflow_version               text NOT NULL,
  synced_at                      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (machine_id, session_id, record_id)
);

-- Grain: one row per (machine, session_id, edit_id): each machine's latest event_session_code_changes rows.
CREATE TABLE sync_event_session_code_changes (
  machine_id                     text NOT NULL,
  session_id                     text NOT NULL,
  edit_id                        text NOT NULL,
  provider                       text,
  repo_id                        text,
  path                           text,
  root_session_id                text,
  tool_name                      text,
  timestamp                      text,
  lines_added                    bigint,
  lines_removed                  bigint,
  nontrivial_lines_added         bigint,
  status                         text,
  paceflow_version               text NOT NULL,
  synced_at                      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (machine_id, session_id, edit_id)
);

-- Grain: one row per (machine, session_id): each machine's latest event_session_quality rows.
CREATE TABLE sync_event_session_quality (
  machine_id                     text NOT NULL,
  session_id                     text NOT NULL,
  provider                       text,
  repo_id                        text,
  root_session_id                text,
  is_subagent                    bigint,
  model                          text,
  git_branch                     text,
  started_at                     text,
  ended_at                       text,
  duration_s                     bigint,
  user_prompt_count              bigint,
  repeated_debug_loop            bigint,
  mid_session_error_paste        bigint,
  tool_errors                    bigint,
  lines_written                  bigint,
  tokens_in                      bigint,
  tokens_out                     bigint,
  paceflow_version               text NOT NULL,
  synced_at                      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (machine_id, session_id)
);

-- Grain: one row per (machine, repo_id, sha, provider, session_id): each machine's latest event_commit_attributions rows.
CREATE TABLE sync_event_commit_attributions (
  machine_id                     text NOT NULL,
  repo_id                        text NOT NULL,
  sha                            text NOT NULL,
  provider                       text NOT NULL,
  session_id                     text NOT NULL,
  model                          text,
  matched_lines                  bigint,
  share_of_commit                double precision,
  source                         text,
  paceflow_version               text NOT NULL,
  synced_at                      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (machine_id, repo_id, sha, provider, session_id)
);

-- Grain: one row per (machine, repo_id, sha): each machine's latest event_commit_outcomes rows.
CREATE TABLE sync_event_commit_outcomes (
  machine_id                     text NOT NULL,
  repo_id                        text NOT NULL,
  sha                            text NOT NULL,
  committed_at                   text,
  nontrivial_added_lines         bigint,
  ai_lines                       bigint,
  ai_share                       double precision,
  heavy_ai                       bigint,
  attribution_coverage           text,
  attribution_source             text,
  merged_to_mainline             bigint,
  mainline_via                   text,
  reached_mainline_at            text,
  merge_window_closed            bigint,
  reverted_later                 bigint,
  reverted_by                    text,
  revert_kind                    text,
  revert_window_closed           bigint,
  mainline_sha                   text,
  evidence                       bigint,
  paceflow_version               text NOT NULL,
  synced_at                      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (machine_id, repo_id, sha)
);

-- Grain: one row per (machine, repo_id, sha): each machine's latest event_commit_churn rows.
CREATE TABLE sync_event_commit_churn (
  machine_id                     text NOT NULL,
  repo_id                        text NOT NULL,
  sha                            text NOT NULL,
  window_days                    bigint,
  ai_lines_reaching_mainline     bigint,
  ai_lines_churned               bigint,
  nonai_lines_reaching_mainline  bigint,
  nonai_lines_churned            bigint,
  window_closed                  bigint,
  paceflow_version               text NOT NULL,
  synced_at                      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (machine_id, repo_id, sha)
);

-- Grain: one row per (machine, repo_id, sha, task_key): each machine's latest event_task_commits rows.
CREATE TABLE sync_event_task_commits (
  machine_id                     text NOT NULL,
  task_key                       text NOT NULL,
  repo_id                        text NOT NULL,
  sha                            text NOT NULL,
  branch_name                    text,
  fallback                       bigint,
  confidence                     double precision,
  key_source                     text,
  paceflow_version               text NOT NULL,
  synced_at                      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (machine_id, repo_id, sha, task_key)
);

-- Grain: one row per (machine, session_id, task_key): each machine's latest event_task_sessions rows.
CREATE TABLE sync_event_task_sessions (
  machine_id                     text NOT NULL,
  task_key                       text NOT NULL,
  session_id                     text NOT NULL,
  session_weight                 double precision,
  commit_within_window           bigint,
  link_source                    text,
  paceflow_version               text NOT NULL,
  synced_at                      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (machine_id, session_id, task_key)
);


CREATE INDEX sync_metadata_commits_by_commit ON sync_metadata_commits (repo_id, sha);
CREATE INDEX sync_event_commit_outcomes_by_commit ON sync_event_commit_outcomes (repo_id, sha);
CREATE INDEX sync_metadata_sessions_by_session ON sync_metadata_sessions (session_id);

-- Grain: one row per repository: the machine whose metadata_repositories row the views read.
CREATE TABLE sync_repository_winners (
  repo_id     text PRIMARY KEY,
  machine_id  text NOT NULL
);

-- Grain: one row per commit any machine knows: the machine whose evidence counts (attribution
-- columns, attribution rows; NULL when no machine has an outcome row) and the machine whose
-- mainline view counts (mainline and revert columns, churn, task links, commit metadata).
CREATE TABLE sync_commit_winners (
  repo_id              text NOT NULL,
  sha                  text NOT NULL,
  evidence_machine_id  text,
  mainline_machine_id  text NOT NULL,
  PRIMARY KEY (repo_id, sha)
);

-- Grain: one row per session any machine holds: the machine whose copy the views read.
CREATE TABLE sync_session_winners (
  session_id  text PRIMARY KEY,
  machine_id  text NOT NULL
);

-- SQLite's round(x, n) takes a REAL; PostgreSQL's takes only numeric. The views round averages of
-- REAL columns (session weights), so this gives PostgreSQL the same function for double precision.
CREATE FUNCTION round(double precision, integer) RETURNS double precision
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS 'SELECT pg_catalog.round($1::numeric, $2)::double precision';
