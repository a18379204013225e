-- Records name their transcript by a small integer instead of repeating its path on every row: the
-- path was a third of a record's bytes, and a first ingest writes every byte twice (WAL, then the
-- database). The number lives on the file's watermark row.

ALTER TABLE fact_ingest_watermarks ADD COLUMN source_file_id INTEGER; -- the number fact_session_records use for this file

-- Every file that records came from has a watermark; make sure of it before numbering.
INSERT INTO fact_ingest_watermarks (source_path, provider, size, mtime_ms, byte_offset, updated_at)
  SELECT DISTINCT r.source_path, substr(r.session_id, 1, instr(r.session_id, ':') - 1), 0, 0, 0, ''
  FROM fact_session_records r
  WHERE NOT EXISTS (SELECT 1 FROM fact_ingest_watermarks w WHERE w.source_path = r.source_path);
UPDATE fact_ingest_watermarks SET source_file_id = (
  SELECT n FROM (SELECT source_path, row_number() OVER (ORDER BY source_path) AS n FROM fact_ingest_watermarks) numbered
  WHERE numbered.source_path = fact_ingest_watermarks.source_path);
CREATE UNIQUE INDEX fact_ingest_watermarks_by_file ON fact_ingest_watermarks (source_file_id);

ALTER TABLE fact_session_records RENAME TO fact_session_records_before_003;

-- Grain: one row per record of a session transcript (record_id is the provider's record id,
-- or a stable id derived from the record's position when the provider has none).
CREATE TABLE fact_session_records (
  session_id         TEXT NOT NULL,
  record_id          TEXT NOT NULL,
  kind               TEXT NOT NULL CHECK (kind IN ('prompt', 'assistant', 'tool_call', 'tool_result', 'system', 'compaction', 'meta')),
  timestamp          TEXT,
  text               TEXT,                   -- prompts and shell commands only (local only)
  tool_name          TEXT,
  tool_call_id       TEXT,
  is_error           INTEGER NOT NULL DEFAULT 0,
  is_sidechain       INTEGER NOT NULL DEFAULT 0,
  is_meta            INTEGER NOT NULL DEFAULT 0,
  model              TEXT,
  message_id         TEXT,                   -- provider message id (token dedupe key with request_id)
  request_id         TEXT,
  tokens_in          INTEGER,
  tokens_out         INTEGER,
  tokens_cache_read  INTEGER,
  tokens_cache_write INTEGER,
  source_file_id     INTEGER NOT NULL,       -- the transcript: fact_ingest_watermarks.source_file_id
  source_offset      INTEGER,                -- byte offset of the record in that file
  PRIMARY KEY (session_id, record_id)
) WITHOUT ROWID;

INSERT INTO fact_session_records
  SELECT r.session_id, r.record_id, r.kind, r.timestamp, r.text, r.tool_name, r.tool_call_id, r.is_error, r.is_sidechain,
    r.is_meta, r.model, r.message_id, r.request_id, r.tokens_in, r.tokens_out, r.tokens_cache_read, r.tokens_cache_write,
    w.source_file_id, r.source_offset
  FROM fact_session_records_before_003 r JOIN fact_ingest_watermarks w ON w.source_path = r.source_path;
DROP TABLE fact_session_records_before_003;
-- Record ids are unique per provider across sessions: copies (resumes, forks) are found by id.
CREATE INDEX fact_session_records_by_record ON fact_session_records (record_id);
