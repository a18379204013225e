-- view_range_summary
-- Grain: one row per (provider, kind of evidence) with AI lines among the lines a release range
--   A..B added that survive at B (temp.paceflow_range_lines, one row per blamed line), then one
--   total row ('(all AI)', '(all)').
-- Meaning: `report --range`: what share of what a release shipped an AI wrote. Shares are over the
--   surviving non-trivial lines, and over all surviving lines (what tools that count every line
--   quote); coverage is the share of non-trivial lines from tracked commits.
-- Columns:
--   provider, source (transcript, note, author-marker, trailer, message)
--   commits                     commits with surviving AI lines of this provider and source
--   ai_lines                    AI lines (a note's or marker's share weighs each line)
--   surviving_nontrivial_lines  non-trivial lines of the range alive at B
--   ai_share                    ai_lines / surviving_nontrivial_lines
--   surviving_lines, ai_share_of_all_lines   the same over every line
--   coverage                    non-trivial lines from tracked commits / surviving_nontrivial_lines
CREATE TEMP VIEW view_range_summary AS
WITH totals AS (
  SELECT sum(nontrivial) AS nontrivial, count(*) AS lines, sum(CASE WHEN nontrivial = 1 THEN tracked END) AS tracked
  FROM temp.paceflow_range_lines
),
groups AS (
  SELECT provider, source, count(DISTINCT sha) AS commits, sum(ai_weight) AS ai, 0 AS is_total
  FROM temp.paceflow_range_lines WHERE ai_weight > 0 GROUP BY provider, source
  UNION ALL
  SELECT '(all AI)', '(all)', count(DISTINCT CASE WHEN ai_weight > 0 THEN sha END), coalesce(sum(ai_weight), 0), 1
  FROM temp.paceflow_range_lines
)
SELECT g.provider, g.source, g.commits, round(g.ai, 1) AS ai_lines,
  coalesce(t.nontrivial, 0) AS surviving_nontrivial_lines,
  round(g.ai / nullif(t.nontrivial, 0), 4) AS ai_share,
  t.lines AS surviving_lines,
  round(g.ai / nullif(t.lines, 0), 4) AS ai_share_of_all_lines,
  round(1.0 * t.tracked / nullif(t.nontrivial, 0), 4) AS coverage
FROM groups g, totals t
ORDER BY g.is_total, g.ai DESC, g.provider, g.source;
