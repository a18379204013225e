-- The attribution and task builders' queues of new commits, so a run after one new commit costs
-- that commit, not the history.
--
-- Attributable commits (non-merge, reachable, not a shallow boundary) by index: counting them and
-- finding the unreachable ones read this small index, not every commit row with its message.
CREATE INDEX metadata_commits_by_state ON metadata_commits (repo_id, is_unreachable, is_merge, is_shallow_boundary);

-- The attributable commits without an outcome row yet: what the next attribution must read.
-- Filled by triggers on metadata_commits (a new commit, one reachable again, a shallow boundary
-- filled in), emptied by the attribution builder in the transaction that writes the commit's
-- outcome. Without it every run compared every commit against event_commit_outcomes.
-- Grain: one row per repository and commit.
-- unreadable: git gave no diff for it the last time (a missing object): tried again each run, but
-- no reason to replay the commits after it.
CREATE TABLE paceflow_unattributed (
  repo_id     TEXT NOT NULL,
  sha         TEXT NOT NULL,
  unreadable  INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (repo_id, sha)
) WITHOUT ROWID;

INSERT INTO paceflow_unattributed (repo_id, sha)
SELECT c.repo_id, c.sha FROM metadata_commits c
WHERE c.is_merge = 0 AND c.is_shallow_boundary = 0 AND c.is_unreachable = 0
  AND NOT EXISTS (SELECT 1 FROM event_commit_outcomes o WHERE o.repo_id = c.repo_id AND o.sha = c.sha);

CREATE TRIGGER paceflow_unattributed_insert AFTER INSERT ON metadata_commits
WHEN NEW.is_merge = 0 AND NEW.is_shallow_boundary = 0 AND NEW.is_unreachable = 0
BEGIN
  INSERT OR IGNORE INTO paceflow_unattributed (repo_id, sha) VALUES (NEW.repo_id, NEW.sha);
END;

CREATE TRIGGER paceflow_unattributed_update AFTER UPDATE OF is_unreachable, is_shallow_boundary ON metadata_commits
WHEN NEW.is_merge = 0 AND NEW.is_shallow_boundary = 0 AND NEW.is_unreachable = 0
  AND (OLD.is_unreachable = 1 OR OLD.is_shallow_boundary = 1)
BEGIN
  INSERT OR IGNORE INTO paceflow_unattributed (repo_id, sha) VALUES (NEW.repo_id, NEW.sha);
END;

CREATE TRIGGER paceflow_unattributed_delete AFTER DELETE ON metadata_commits
BEGIN
  DELETE FROM paceflow_unattributed WHERE repo_id = OLD.repo_id AND sha = OLD.sha;
END;

-- The reachable commits the task builder has not linked yet (merges too: a new merge of a branch
-- named for a task changes which branch its commits were made on). Filled by the same kind of
-- triggers, emptied by the task builder in the transaction that writes their links.
-- Grain: one row per repository and commit.
CREATE TABLE paceflow_untasked (
  repo_id  TEXT NOT NULL,
  sha      TEXT NOT NULL,
  PRIMARY KEY (repo_id, sha)
) WITHOUT ROWID;

CREATE TRIGGER paceflow_untasked_insert AFTER INSERT ON metadata_commits
WHEN NEW.is_unreachable = 0
BEGIN
  INSERT OR IGNORE INTO paceflow_untasked (repo_id, sha) VALUES (NEW.repo_id, NEW.sha);
END;

CREATE TRIGGER paceflow_untasked_update AFTER UPDATE OF is_unreachable ON metadata_commits
WHEN NEW.is_unreachable = 0 AND OLD.is_unreachable = 1
BEGIN
  INSERT OR IGNORE INTO paceflow_untasked (repo_id, sha) VALUES (NEW.repo_id, NEW.sha);
END;

CREATE TRIGGER paceflow_untasked_delete AFTER DELETE ON metadata_commits
BEGIN
  DELETE FROM paceflow_untasked WHERE repo_id = OLD.repo_id AND sha = OLD.sha;
END;

-- The outcome rows whose merge or revert window is still open: the only ones the calendar can
-- change, so a run that found nothing new updates these, not every row of the history.
CREATE INDEX event_commit_outcomes_open_windows ON event_commit_outcomes (repo_id)
WHERE merge_window_closed = 0 OR revert_window_closed = 0;

-- What a build after one commit asks of the outcomes, by index: the rows not built yet, the
-- unmerged and squashed ones, the merged and reverted counts, the heavy-AI commits.
CREATE INDEX event_commit_outcomes_by_state ON event_commit_outcomes (repo_id, merged_to_mainline, mainline_via, reverted_later);
CREATE INDEX event_commit_outcomes_heavy ON event_commit_outcomes (repo_id, sha) WHERE heavy_ai = 1;

-- The merges whose subject names a branch with a task key (`Merge branch 'ABC-12-login'`) and the
-- commits each brought in (second parent, not first: a function of the merge alone, so read from
-- git once): the task builder's claims read these instead of every merge of the history and a git
-- process per merge. Filled as merges arrive (all of them again when the key pattern changes).
-- brought: the shas, space-separated. Grain: one row per repository and merge commit.
CREATE TABLE paceflow_task_merges (
  repo_id      TEXT NOT NULL,
  sha          TEXT NOT NULL,
  branch_name  TEXT NOT NULL,
  brought      TEXT NOT NULL,
  PRIMARY KEY (repo_id, sha)
) WITHOUT ROWID;

-- A merge on mainline's first-parent chain brought in exactly the commits that landed through it:
-- the task builder reads them from the landing by this index instead of asking git per merge.
CREATE INDEX paceflow_mainline_landing_by_via ON paceflow_mainline_landing (repo_id, via_sha);

-- The squash rule's net diff of a branch (merge base → head) as a patch-id: a function of the two
-- commits, kept so a later build does not diff every open branch again. patch_id NULL: an empty
-- diff. Grain: one row per repository, base and head.
CREATE TABLE paceflow_net_diffs (
  repo_id   TEXT NOT NULL,
  base_sha  TEXT NOT NULL,
  head_sha  TEXT NOT NULL,
  patch_id  TEXT,
  PRIMARY KEY (repo_id, base_sha, head_sha)
) WITHOUT ROWID;
