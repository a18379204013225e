-- The commits whose AI evidence changed since churn last read it (DESIGN §4): their kept AI lines
-- (attribution), their counted AI lines (attribution) or the copies that carry them (outcomes).
-- The churn build after mainline only moved forward restages the commits landed since the earliest
-- of the new commits, its open windows and these less one window, instead of all of mainline; it
-- empties the queue with the rows it writes. A change to every commit's evidence at once forgets
-- churn's stage mark (paceflow_meta 'churn_stage:<repo>') instead: all of mainline is restaged.
-- Local only. Grain: one row per repository and commit.
CREATE TABLE paceflow_churn_dirty (
  repo_id  TEXT NOT NULL,
  sha      TEXT NOT NULL,
  PRIMARY KEY (repo_id, sha)
) WITHOUT ROWID;

-- The net diffs kept for a branch head, by head: after mainline moved forward with commits new to
-- the database, a branch that stayed is compared through the one net diff kept for it, without
-- walking every branch's history to find its merge base again (outcomes.ts, headsTheMoveCanSquash).
CREATE INDEX paceflow_net_diffs_by_head ON paceflow_net_diffs (repo_id, head_sha);
