-- paceflow_row_counts: how many rows a repository has in the tables whose totals the builders
-- and the notes ingest compare after every run, kept by triggers as rows come and go, instead of
-- counted.
--
-- Why: attribution and churn notice rows dropped to be rebuilt (a migration's DELETE, a rewrite)
-- by comparing totals — the repository's attributable commits, its outcome rows, its outcome rows
-- placed on mainline as ancestors, its churn rows; the tasks builder, its reachable merges; the notes ingest notices notes rows dropped by
-- comparing a ref's rows with the count it last read. Counted (src/db/count.ts before this), each
-- read the whole of an index: ~4,200 pages on the 80k bench history, 100–130 ms of the hooks'
-- worker after every commit — work in proportion to the history, not to the change (#20), paid
-- cold: every git process the worker starts leaves its page cache to fault back in (bench/README,
-- session 37). Read here, each is one key.
--
-- counted: the table, or the table and the subset: 'metadata_commits:attributable' (is_merge = 0
-- AND is_shallow_boundary = 0 AND is_unreachable = 0), 'metadata_commits:merge' (is_merge = 1 AND
-- is_unreachable = 0: the tasks builder's sign of a new merge), 'event_commit_outcomes:ancestor'
-- (merged_to_mainline = 1 AND mainline_via = 'ancestor'), 'fact_commit_notes:<notes ref>' (one set
-- per ref); src/db/count.ts COUNTED_ROWS says the same. A row exists only while its count is above
-- zero, so a database that dropped and rebuilt rows holds the same rows as one built once.
-- The triggers see every INSERT (plain, OR IGNORE, an upsert's insert), DELETE and UPDATE; an
-- upsert that updates fires the UPDATE triggers only, as it should. A count goes up by an INSERT
-- … ON CONFLICT DO NOTHING of its row (at zero) and an UPDATE, not by an upsert that updates: a
-- trigger's DO UPDATE made SQLite keep a statement journal for every INSERT OR IGNORE into
-- metadata_commits (git's ingest): 20k commits inserted in ~930 ms against ~160 ms without the
-- counts, ~200 ms in this form (bench/README, session 38). `INSERT OR REPLACE` into
-- these tables would go uncounted for the row it replaces (SQLite fires no DELETE trigger for it
-- with recursive_triggers off): none is used, and the counts are checked against count(*) by the
-- tests' snapshot of every table (test/helpers/db.ts). A migration that rebuilds one of these
-- tables (as sql/021 did metadata_commits) loses its triggers with it: it must make them again
-- and recount, as this file does.
-- Local only. Grain: one row per counted set and repository.
CREATE TABLE paceflow_row_counts (
  counted    TEXT NOT NULL,
  repo_id    TEXT NOT NULL,
  row_count  INTEGER NOT NULL,
  PRIMARY KEY (counted, repo_id)
) WITHOUT ROWID;

INSERT INTO paceflow_row_counts (counted, repo_id, row_count)
SELECT 'metadata_commits:attributable', repo_id, count(*) FROM metadata_commits
WHERE is_merge = 0 AND is_shallow_boundary = 0 AND is_unreachable = 0 GROUP BY repo_id;

INSERT INTO paceflow_row_counts (counted, repo_id, row_count)
SELECT 'metadata_commits:merge', repo_id, count(*) FROM metadata_commits
WHERE is_merge = 1 AND is_unreachable = 0 GROUP BY repo_id;

INSERT INTO paceflow_row_counts (counted, repo_id, row_count)
SELECT 'event_commit_outcomes', repo_id, count(*) FROM event_commit_outcomes GROUP BY repo_id;

INSERT INTO paceflow_row_counts (counted, repo_id, row_count)
SELECT 'event_commit_outcomes:ancestor', repo_id, count(*) FROM event_commit_outcomes
WHERE merged_to_mainline = 1 AND mainline_via = 'ancestor' GROUP BY repo_id;

INSERT INTO paceflow_row_counts (counted, repo_id, row_count)
SELECT 'event_commit_churn', repo_id, count(*) FROM event_commit_churn GROUP BY repo_id;

INSERT INTO paceflow_row_counts (counted, repo_id, row_count)
SELECT 'fact_commit_notes:' || notes_ref, repo_id, count(*) FROM fact_commit_notes GROUP BY notes_ref, repo_id;

-- metadata_commits:attributable
CREATE TRIGGER paceflow_row_counts_commits_attributable_insert AFTER INSERT ON metadata_commits
WHEN NEW.is_merge = 0 AND NEW.is_shallow_boundary = 0 AND NEW.is_unreachable = 0
BEGIN
  INSERT INTO paceflow_row_counts (counted, repo_id, row_count) VALUES ('metadata_commits:attributable', NEW.repo_id, 0) ON CONFLICT DO NOTHING;
  UPDATE paceflow_row_counts SET row_count = row_count + 1 WHERE counted = 'metadata_commits:attributable' AND repo_id = NEW.repo_id;
END;

CREATE TRIGGER paceflow_row_counts_commits_attributable_delete AFTER DELETE ON metadata_commits
WHEN OLD.is_merge = 0 AND OLD.is_shallow_boundary = 0 AND OLD.is_unreachable = 0
BEGIN
  UPDATE paceflow_row_counts SET row_count = row_count - 1 WHERE counted = 'metadata_commits:attributable' AND repo_id = OLD.repo_id;
  DELETE FROM paceflow_row_counts WHERE counted = 'metadata_commits:attributable' AND repo_id = OLD.repo_id AND row_count <= 0;
END;

CREATE TRIGGER paceflow_row_counts_commits_attributable_update AFTER UPDATE OF repo_id, is_merge, is_shallow_boundary, is_unreachable ON metadata_commits
WHEN OLD.repo_id IS NOT NEW.repo_id OR (OLD.is_merge = 0 AND OLD.is_shallow_boundary = 0 AND OLD.is_unreachable = 0) IS NOT (NEW.is_merge = 0 AND NEW.is_shallow_boundary = 0 AND NEW.is_unreachable = 0)
BEGIN
  UPDATE paceflow_row_counts SET row_count = row_count - 1 WHERE counted = 'metadata_commits:attributable' AND repo_id = OLD.repo_id
    AND OLD.is_merge = 0 AND OLD.is_shallow_boundary = 0 AND OLD.is_unreachable = 0;
  DELETE FROM paceflow_row_counts WHERE counted = 'metadata_commits:attributable' AND repo_id = OLD.repo_id AND row_count <= 0;
  INSERT INTO paceflow_row_counts (counted, repo_id, row_count) SELECT 'metadata_commits:attributable', NEW.repo_id, 0 WHERE NEW.is_merge = 0 AND NEW.is_shallow_boundary = 0 AND NEW.is_unreachable = 0 ON CONFLICT DO NOTHING;
  UPDATE paceflow_row_counts SET row_count = row_count + 1 WHERE counted = 'metadata_commits:attributable' AND repo_id = NEW.repo_id
    AND NEW.is_merge = 0 AND NEW.is_shallow_boundary = 0 AND NEW.is_unreachable = 0;
END;

-- metadata_commits:merge
CREATE TRIGGER paceflow_row_counts_commits_merge_insert AFTER INSERT ON metadata_commits
WHEN NEW.is_merge = 1 AND NEW.is_unreachable = 0
BEGIN
  INSERT INTO paceflow_row_counts (counted, repo_id, row_count) VALUES ('metadata_commits:merge', NEW.repo_id, 0) ON CONFLICT DO NOTHING;
  UPDATE paceflow_row_counts SET row_count = row_count + 1 WHERE counted = 'metadata_commits:merge' AND repo_id = NEW.repo_id;
END;

CREATE TRIGGER paceflow_row_counts_commits_merge_delete AFTER DELETE ON metadata_commits
WHEN OLD.is_merge = 1 AND OLD.is_unreachable = 0
BEGIN
  UPDATE paceflow_row_counts SET row_count = row_count - 1 WHERE counted = 'metadata_commits:merge' AND repo_id = OLD.repo_id;
  DELETE FROM paceflow_row_counts WHERE counted = 'metadata_commits:merge' AND repo_id = OLD.repo_id AND row_count <= 0;
END;

CREATE TRIGGER paceflow_row_counts_commits_merge_update AFTER UPDATE OF repo_id, is_merge, is_unreachable ON metadata_commits
WHEN OLD.repo_id IS NOT NEW.repo_id OR (OLD.is_merge = 1 AND OLD.is_unreachable = 0) IS NOT (NEW.is_merge = 1 AND NEW.is_unreachable = 0)
BEGIN
  UPDATE paceflow_row_counts SET row_count = row_count - 1 WHERE counted = 'metadata_commits:merge' AND repo_id = OLD.repo_id
    AND OLD.is_merge = 1 AND OLD.is_unreachable = 0;
  DELETE FROM paceflow_row_counts WHERE counted = 'metadata_commits:merge' AND repo_id = OLD.repo_id AND row_count <= 0;
  INSERT INTO paceflow_row_counts (counted, repo_id, row_count) SELECT 'metadata_commits:merge', NEW.repo_id, 0 WHERE NEW.is_merge = 1 AND NEW.is_unreachable = 0 ON CONFLICT DO NOTHING;
  UPDATE paceflow_row_counts SET row_count = row_count + 1 WHERE counted = 'metadata_commits:merge' AND repo_id = NEW.repo_id
    AND NEW.is_merge = 1 AND NEW.is_unreachable = 0;
END;

-- event_commit_outcomes
CREATE TRIGGER paceflow_row_counts_outcomes_insert AFTER INSERT ON event_commit_outcomes
BEGIN
  INSERT INTO paceflow_row_counts (counted, repo_id, row_count) VALUES ('event_commit_outcomes', NEW.repo_id, 0) ON CONFLICT DO NOTHING;
  UPDATE paceflow_row_counts SET row_count = row_count + 1 WHERE counted = 'event_commit_outcomes' AND repo_id = NEW.repo_id;
END;

CREATE TRIGGER paceflow_row_counts_outcomes_delete AFTER DELETE ON event_commit_outcomes
BEGIN
  UPDATE paceflow_row_counts SET row_count = row_count - 1 WHERE counted = 'event_commit_outcomes' AND repo_id = OLD.repo_id;
  DELETE FROM paceflow_row_counts WHERE counted = 'event_commit_outcomes' AND repo_id = OLD.repo_id AND row_count <= 0;
END;

CREATE TRIGGER paceflow_row_counts_outcomes_move AFTER UPDATE OF repo_id ON event_commit_outcomes
WHEN OLD.repo_id IS NOT NEW.repo_id
BEGIN
  UPDATE paceflow_row_counts SET row_count = row_count - 1 WHERE counted = 'event_commit_outcomes' AND repo_id = OLD.repo_id;
  DELETE FROM paceflow_row_counts WHERE counted = 'event_commit_outcomes' AND repo_id = OLD.repo_id AND row_count <= 0;
  INSERT INTO paceflow_row_counts (counted, repo_id, row_count) VALUES ('event_commit_outcomes', NEW.repo_id, 0) ON CONFLICT DO NOTHING;
  UPDATE paceflow_row_counts SET row_count = row_count + 1 WHERE counted = 'event_commit_outcomes' AND repo_id = NEW.repo_id;
END;

-- event_commit_outcomes:ancestor
CREATE TRIGGER paceflow_row_counts_outcomes_ancestor_insert AFTER INSERT ON event_commit_outcomes
WHEN NEW.merged_to_mainline = 1 AND NEW.mainline_via = 'ancestor'
BEGIN
  INSERT INTO paceflow_row_counts (counted, repo_id, row_count) VALUES ('event_commit_outcomes:ancestor', NEW.repo_id, 0) ON CONFLICT DO NOTHING;
  UPDATE paceflow_row_counts SET row_count = row_count + 1 WHERE counted = 'event_commit_outcomes:ancestor' AND repo_id = NEW.repo_id;
END;

CREATE TRIGGER paceflow_row_counts_outcomes_ancestor_delete AFTER DELETE ON event_commit_outcomes
WHEN OLD.merged_to_mainline = 1 AND OLD.mainline_via = 'ancestor'
BEGIN
  UPDATE paceflow_row_counts SET row_count = row_count - 1 WHERE counted = 'event_commit_outcomes:ancestor' AND repo_id = OLD.repo_id;
  DELETE FROM paceflow_row_counts WHERE counted = 'event_commit_outcomes:ancestor' AND repo_id = OLD.repo_id AND row_count <= 0;
END;

CREATE TRIGGER paceflow_row_counts_outcomes_ancestor_update AFTER UPDATE OF repo_id, merged_to_mainline, mainline_via ON event_commit_outcomes
WHEN OLD.repo_id IS NOT NEW.repo_id OR (OLD.merged_to_mainline = 1 AND OLD.mainline_via = 'ancestor') IS NOT (NEW.merged_to_mainline = 1 AND NEW.mainline_via = 'ancestor')
BEGIN
  UPDATE paceflow_row_counts SET row_count = row_count - 1 WHERE counted = 'event_commit_outcomes:ancestor' AND repo_id = OLD.repo_id
    AND OLD.merged_to_mainline = 1 AND OLD.mainline_via = 'ancestor';
  DELETE FROM paceflow_row_counts WHERE counted = 'event_commit_outcomes:ancestor' AND repo_id = OLD.repo_id AND row_count <= 0;
  INSERT INTO paceflow_row_counts (counted, repo_id, row_count) SELECT 'event_commit_outcomes:ancestor', NEW.repo_id, 0 WHERE NEW.merged_to_mainline = 1 AND NEW.mainline_via = 'ancestor' ON CONFLICT DO NOTHING;
  UPDATE paceflow_row_counts SET row_count = row_count + 1 WHERE counted = 'event_commit_outcomes:ancestor' AND repo_id = NEW.repo_id
    AND NEW.merged_to_mainline = 1 AND NEW.mainline_via = 'ancestor';
END;

-- event_commit_churn
CREATE TRIGGER paceflow_row_counts_churn_insert AFTER INSERT ON event_commit_churn
BEGIN
  INSERT INTO paceflow_row_counts (counted, repo_id, row_count) VALUES ('event_commit_churn', NEW.repo_id, 0) ON CONFLICT DO NOTHING;
  UPDATE paceflow_row_counts SET row_count = row_count + 1 WHERE counted = 'event_commit_churn' AND repo_id = NEW.repo_id;
END;

CREATE TRIGGER paceflow_row_counts_churn_delete AFTER DELETE ON event_commit_churn
BEGIN
  UPDATE paceflow_row_counts SET row_count = row_count - 1 WHERE counted = 'event_commit_churn' AND repo_id = OLD.repo_id;
  DELETE FROM paceflow_row_counts WHERE counted = 'event_commit_churn' AND repo_id = OLD.repo_id AND row_count <= 0;
END;

CREATE TRIGGER paceflow_row_counts_churn_move AFTER UPDATE OF repo_id ON event_commit_churn
WHEN OLD.repo_id IS NOT NEW.repo_id
BEGIN
  UPDATE paceflow_row_counts SET row_count = row_count - 1 WHERE counted = 'event_commit_churn' AND repo_id = OLD.repo_id;
  DELETE FROM paceflow_row_counts WHERE counted = 'event_commit_churn' AND repo_id = OLD.repo_id AND row_count <= 0;
  INSERT INTO paceflow_row_counts (counted, repo_id, row_count) VALUES ('event_commit_churn', NEW.repo_id, 0) ON CONFLICT DO NOTHING;
  UPDATE paceflow_row_counts SET row_count = row_count + 1 WHERE counted = 'event_commit_churn' AND repo_id = NEW.repo_id;
END;

-- fact_commit_notes:<notes ref>
CREATE TRIGGER paceflow_row_counts_notes_insert AFTER INSERT ON fact_commit_notes
BEGIN
  INSERT INTO paceflow_row_counts (counted, repo_id, row_count) VALUES ('fact_commit_notes:' || NEW.notes_ref, NEW.repo_id, 0) ON CONFLICT DO NOTHING;
  UPDATE paceflow_row_counts SET row_count = row_count + 1 WHERE counted = 'fact_commit_notes:' || NEW.notes_ref AND repo_id = NEW.repo_id;
END;

CREATE TRIGGER paceflow_row_counts_notes_delete AFTER DELETE ON fact_commit_notes
BEGIN
  UPDATE paceflow_row_counts SET row_count = row_count - 1 WHERE counted = 'fact_commit_notes:' || OLD.notes_ref AND repo_id = OLD.repo_id;
  DELETE FROM paceflow_row_counts WHERE counted = 'fact_commit_notes:' || OLD.notes_ref AND repo_id = OLD.repo_id AND row_count <= 0;
END;

CREATE TRIGGER paceflow_row_counts_notes_move AFTER UPDATE OF repo_id, notes_ref ON fact_commit_notes
WHEN OLD.repo_id IS NOT NEW.repo_id OR OLD.notes_ref IS NOT NEW.notes_ref
BEGIN
  UPDATE paceflow_row_counts SET row_count = row_count - 1 WHERE counted = 'fact_commit_notes:' || OLD.notes_ref AND repo_id = OLD.repo_id;
  DELETE FROM paceflow_row_counts WHERE counted = 'fact_commit_notes:' || OLD.notes_ref AND repo_id = OLD.repo_id AND row_count <= 0;
  INSERT INTO paceflow_row_counts (counted, repo_id, row_count) VALUES ('fact_commit_notes:' || NEW.notes_ref, NEW.repo_id, 0) ON CONFLICT DO NOTHING;
  UPDATE paceflow_row_counts SET row_count = row_count + 1 WHERE counted = 'fact_commit_notes:' || NEW.notes_ref AND repo_id = NEW.repo_id;
END;
