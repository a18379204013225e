-- The AI-evidence fingerprint each mainline commit's churn row was built with (DESIGN §4): how
-- many exact AI lines it carries ('l<n>': its own kept lines, else those of the branch commits it
-- is a copy of), else its counted AI lines ('c<n>', a note or trailer). A row is rebuilt when its
-- fingerprint changes. Until now one JSON value in paceflow_meta held every commit's, so a run after
-- mainline moved read and wrote the whole history's; here the plan compares them in SQL and writes
-- only those that changed. 'c0' (no evidence) is not stored. Local only.
-- Grain: one row per repository and mainline commit with evidence.
CREATE TABLE paceflow_churn_evidence (
  repo_id      TEXT NOT NULL,
  sha          TEXT NOT NULL,
  fingerprint  TEXT NOT NULL,
  PRIMARY KEY (repo_id, sha)
) WITHOUT ROWID;

-- The JSON value of earlier versions ([[sha, fingerprint], …] under churn_evidence:<repo>), moved.
INSERT OR REPLACE INTO paceflow_churn_evidence (repo_id, sha, fingerprint)
SELECT substr(m.key, length('churn_evidence:') + 1), json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]')
FROM paceflow_meta m, json_each(m.value) j
WHERE m.key LIKE 'churn\_evidence:%' ESCAPE '\' AND json_valid(m.value);
DELETE FROM paceflow_meta WHERE key LIKE 'churn\_evidence:%' ESCAPE '\';

-- How a credited session went, for attribution's note: its sub-agents found by their root.
CREATE INDEX event_session_quality_by_root ON event_session_quality (root_session_id);
