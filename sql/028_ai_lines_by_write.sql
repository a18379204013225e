-- paceflow_ai_lines: one row per write a commit took lines from (its edit, the path it was written
-- to, the commit's path), holding those lines, instead of one row per line.
--
-- Why: a commit that takes a session's edit takes ~20 of its lines (the 80k bench history: 429,239
-- line rows in 22,327 writes). Each line row repeated the repository, the commit, the edit and both
-- paths, and the index by written path repeated them again (WITHOUT ROWID: the index holds the key):
-- 214 MB of a 498 MB database, written through the log and again into the file, 429k INSERTs
-- (2.3 s) on a first run and 410k rows read back by churn. Nothing asks SQLite about one line: the
-- replay marks a write's lines used, churn and `range` count a commit's lines by path and text in
-- TypeScript, and SQL only sums how many (n).
--
-- lines: JSON [[normalized text, how many], ...], one entry per distinct text (in no order anyone
-- relies on; src/builders/attribution-replay.ts writes and reads it); n: their count summed — what every
-- sum(n) over the table asked before. The rows keep what each commit took (the same takings, none
-- replayed again): only their shape changes.
-- Local only: line text never leaves the machine (not in the sync contract).
-- Grain: one row per repository, commit, edit, written path and committed path.
ALTER TABLE paceflow_ai_lines RENAME TO paceflow_ai_lines_by_line;
CREATE TABLE paceflow_ai_lines (
  repo_id     TEXT NOT NULL,
  sha         TEXT NOT NULL,
  edit_id     TEXT NOT NULL,
  write_path  TEXT NOT NULL,
  path        TEXT NOT NULL,
  provider    TEXT NOT NULL,
  n           INTEGER NOT NULL, -- how many lines the commit took from this write (the sum of lines' counts)
  lines       TEXT NOT NULL,    -- JSON [[normalized line, how many], ...], one entry per distinct line
  PRIMARY KEY (repo_id, sha, edit_id, write_path, path)
);
-- A write's provider is its session's: one per group (min() only names one).
INSERT INTO paceflow_ai_lines (repo_id, sha, edit_id, write_path, path, provider, n, lines)
SELECT repo_id, sha, edit_id, write_path, path, min(provider), sum(n), json_group_array(json_array(line, n))
FROM (SELECT * FROM paceflow_ai_lines_by_line ORDER BY repo_id, sha, edit_id, write_path, path, line)
GROUP BY repo_id, sha, edit_id, write_path, path;
DROP TABLE paceflow_ai_lines_by_line;
CREATE INDEX paceflow_ai_lines_by_write_path ON paceflow_ai_lines (repo_id, write_path);
