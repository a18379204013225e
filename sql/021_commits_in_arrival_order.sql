-- metadata_commits becomes a rowid table: its rows are stored in the order they were written, and
-- its key, (repo_id, sha), is a unique index beside them. The grain and every column stay.
--
-- Why: clustered on a random sha, each commit written by a first run landed on a random page of a
-- b-tree of fat rows (the whole message: ~500 bytes a commit on git's own history, whose table is
-- 135 MB), far larger than the page cache, so nearly every insert read a page back and dirtied
-- one. On git's own history writing its 85,361 commits and their 140,170 file rows took 13–18 s
-- of CPU that way (a script inserting the same rows in the same order) and 8–10 s with this
-- table (4 s with no index at all). The key's index is ~8 MB and stays in the cache; the
-- secondary indexes get smaller too (they end in a rowid instead of the key). Looking a commit up
-- by sha now reads two b-trees instead of one, a few µs the builders' reads do not feel.

ALTER TABLE metadata_commits RENAME TO metadata_commits_before_021;

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
  ai_committed_by      TEXT,                 -- provider that made the commit for a person (aider's committer-only mark)
  PRIMARY KEY (repo_id, sha)
);

-- Oldest first, so the rows a later run appends follow on.
INSERT INTO metadata_commits
  SELECT repo_id, sha, parent_shas, parent_count, author_name, author_email, authored_at, author_tz, committer_name,
    committer_email, committed_at, committer_tz, subject, message, is_merge, is_root, is_shallow_boundary, is_unreachable,
    ai_marker, ai_marker_source, pr_number, ai_committed_by
  FROM metadata_commits_before_021 ORDER BY repo_id, committed_at, sha;

-- Its indexes and the builder queues' triggers go with the old table.
DROP TABLE metadata_commits_before_021;

CREATE INDEX metadata_commits_by_time ON metadata_commits (repo_id, committed_at);
CREATE INDEX metadata_commits_by_pr ON metadata_commits (repo_id, pr_number) WHERE pr_number IS NOT NULL;
CREATE INDEX metadata_commits_by_state ON metadata_commits (repo_id, is_unreachable, is_merge, is_shallow_boundary);
CREATE INDEX metadata_commits_by_subject ON metadata_commits (repo_id, subject);
CREATE INDEX metadata_commits_shallow_boundary ON metadata_commits (repo_id) WHERE is_shallow_boundary = 1;

-- The builder queues' triggers, as sql/010 made them.
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
