-- fact_ingest_watermarks_partly_read: the transcripts not read to their end, by provider and time.
--
-- Why: every run that reads Claude Code's transcripts warns of those Claude will delete before
-- they are fully read (src/pipeline/messages.ts cleanupWarnings: a watermark short of its file's
-- size and older than Claude's cleanup period). Asked of the table, the question read every
-- watermark — 6,129 rows, ~1.7 MB of pages: 9–21 ms in a fresh process, of a re-run with nothing
-- new whose budget is 0.2 s (bench/README, session 67) — to find what is nearly always none. A
-- partial index holds only the rows short of their size: the same question took 0.05 ms.
CREATE INDEX fact_ingest_watermarks_partly_read ON fact_ingest_watermarks (provider, mtime_ms) WHERE byte_offset < size;
