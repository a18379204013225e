-- A re-run compared every transcript the walk found with its watermark: every row of
-- fact_ingest_watermarks read (3,049 on the 80k bench's home, ~13 ms) by every run with nothing
-- new and by the hooks' worker after every commit. A run that finds every transcript at its
-- watermark now keeps a digest of what it found (paceflow_meta 'transcripts_at_watermarks',
-- src/ingest/sessions.ts); the next run that finds the same files, sizes and times reads no
-- watermark. These triggers forget the digest whenever a watermark is written, whoever writes
-- it, so it can only say "unchanged" while no watermark has moved.
CREATE TRIGGER fact_ingest_watermarks_insert_forgets_digest AFTER INSERT ON fact_ingest_watermarks
BEGIN
  DELETE FROM paceflow_meta WHERE key = 'transcripts_at_watermarks';
END;
CREATE TRIGGER fact_ingest_watermarks_update_forgets_digest AFTER UPDATE ON fact_ingest_watermarks
BEGIN
  DELETE FROM paceflow_meta WHERE key = 'transcripts_at_watermarks';
END;
CREATE TRIGGER fact_ingest_watermarks_delete_forgets_digest AFTER DELETE ON fact_ingest_watermarks
BEGIN
  DELETE FROM paceflow_meta WHERE key = 'transcripts_at_watermarks';
END;
