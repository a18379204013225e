import { createHash, hash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import * as zlib from 'node:zlib';
import { isUtf8 } from 'node:buffer';
import { availableParallelism } from 'node:os';
import { crashPoint } from '../crash-point.js';
import type { Database } from '../db/driver.js';
import { statementJournalsInMemory } from '../db/journal.js';
import { hasIndex } from '../db/indexes-after.js';
import { PathRepositoryResolver } from '../git/path-repository.js';
import { allWorktreeRoots } from '../git/worktrees.js';
import type { LineReadResult } from '../providers/jsonl.js';
import { ALL_PROVIDERS } from '../providers/index.js';
import { DirectoryListings, nextTurn, useDirectoryListings } from '../providers/discover.js';
import type { ProviderEnvironment, ProviderName, SessionProvider, SkipReason, SourceFile } from '../providers/types.js';
import { EditReplay } from './edit-replay.js';
import { TranscriptThread, TranscriptThreadGone } from './parse-thread.js';
import type { InFlight } from './thread-channel.js';
import { applyOwedTitles, PendingEdits, SavedRecords, SessionWriter } from './session-writer.js';
import { DEFAULT_MAX_LINE, HEAD_BYTES, readTranscriptLines } from './transcript-lines.js';

export interface SessionIngestOptions {
  db: Database;
  providers: readonly SessionProvider[];
  environment: ProviderEnvironment;
  /** Only files modified at or after this time. */
  since?: Date;
  /** Lines longer than this are skipped and counted (default 32 MiB). */
  maxLineBytes?: number;
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
  /** How many record ids a first run keeps in memory before it builds the index and asks the database. */
  recordIdsInMemory?: number;
  /** Parse tool-output lines without their long strings when the parser allows it (default true). */
  skim?: boolean;
  now?: () => Date;
  /** The repository this run's git ingest identified, and its id (PathRepositoryResolver.knowRepository). */
  knownRepository?: { commonDir: string; repoId: string };
  /** A discovery already under way (startTranscriptDiscovery); without, ingestSessions starts one. */
  discovery?: Promise<TranscriptDiscovery>;
  /**
   * A first run reads and parses on a second thread while this one writes, from `fromBytes` to
   * read (default 32 MiB); `url`: the thread's bundle (default dist/transcript-thread.cjs); `waitMs`:
   * how long a silent thread is waited for before the run goes on without it; `cores`: the cores
   * to count on (default os.availableParallelism(): with one, a second thread only adds its
   * messages' cost); `opsPerMessage`: how many ops the thread sends at a time (default 8,192);
   * `inFlight`: what it lets wait unread (default IN_FLIGHT, thread-channel.ts). False: one thread.
   */
  parseThread?: false | { fromBytes?: number; url?: URL; waitMs?: number; cores?: number; opsPerMessage?: number; inFlight?: InFlight };
}

export interface ProviderIngestStats {
  provider: ProviderName;
  locations: string[];
  filesFound: number;
  filesRead: number;
  filesUnchanged: number;
  filesOlderThanSince: number;
  bytesRead: number;
  records: number;
  edits: number;
  sessions: number;
  skippedLines: Partial<Record<SkipReason, number>>;
  /** A few "file: reason at line N" examples of skipped lines. */
  skipExamples: string[];
  skippedFiles: { path: string; reason: string }[];
  /** Files left unread this run (older than --since, or skipped), with their modification time. */
  unread: SourceFile[];
}

export interface SessionIngestResult {
  stats: ProviderIngestStats[];
  /** Sessions that got new rows this run (their events need rebuilding). */
  touchedSessions: string[];
  /** Files parsed on the transcript thread (the rest on the main thread). */
  filesOnThread: number;
}

/** About 1.2 GB of transcripts' worth; the ids take ~150 bytes each in memory. */
const RECORD_IDS_IN_MEMORY = 500_000;
/** As in sql/003_record_source_files.sql. */
const RECORD_ID_INDEX = `CREATE INDEX IF NOT EXISTS fact_session_records_by_record ON fact_session_records (record_id)`;
/** A first run with at least this much to read parses on a second thread (TranscriptThread). */
const THREAD_FROM_BYTES = 32 * 1024 * 1024;
/** Ops per message from the thread: ~1,000 messages for the 1 GB bench corpus. */
const OPS_PER_MESSAGE = 8192;

interface Watermark {
  size: number;
  mtime_ms: number;
  byte_offset: number;
  record_index: number;
  head_length: number;
  head_checksum: string | null;
  skipped_lines: number;
}

function headChecksum(path: string, length: number): string {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const bytesRead = readSync(fd, buffer, 0, length, 0);
    return hash('sha1', buffer.subarray(0, bytesRead), 'hex');
  } finally {
    closeSync(fd);
  }
}

type ZstdDecompress = (buffer: Buffer) => Buffer;
const zstdDecompressSync = (zlib as unknown as { zstdDecompressSync?: ZstdDecompress }).zstdDecompressSync;

/**
 * Sessions whose events are owed: written with the transcript rows that changed them, so a run
 * killed before it rebuilt their events leaves them here for the next one.
 */
export function owedSessions(db: Database): string[] {
  return db
    .prepare(`SELECT session_id FROM paceflow_owed_session_events ORDER BY session_id`)
    .all<{ session_id: string }>()
    .map((r) => r.session_id);
}

/** Marks owed session events as built (call in the transaction that built them). */
export function forgetOwedSessions(db: Database, sessionIds: readonly string[]): void {
  const forget = db.prepare(`DELETE FROM paceflow_owed_session_events WHERE session_id = ?`);
  for (const id of sessionIds) forget.run([id]);
}

/** One line for a file that could not be read: "permission denied (EACCES)", not Node's "EACCES: EACCES: …, open '<path>'". */
export function readErrorReason(err: NodeJS.ErrnoException): string {
  const message = err.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/s, '');
  return err.code && /^E[A-Z]+$/.test(err.code) ? `${message} (${err.code})` : message;
}

/** False until the first transcript record is stored. */
export function hasSessionRecords(db: Database): boolean {
  return db.prepare(`SELECT 1 AS x FROM fact_session_records LIMIT 1`).get() !== undefined;
}

/** A transcript this run reads, with its provider and the stats it counts into. */
interface FileWork {
  provider: SessionProvider;
  file: SourceFile;
  stat: ProviderIngestStats;
}

type Discovered = { provider: SessionProvider; discovery: Awaited<ReturnType<SessionProvider['discover']>> };

/**
 * Reads every provider's transcripts into metadata_sessions and fact_session_*. Each file is read
 * in its own BEGIN IMMEDIATE transaction together with its watermark: unchanged files are not
 * opened, appended files are read from where the last run stopped, and a truncated or rewritten
 * file is read again from the start after its old rows are removed.
 */
export async function ingestSessions(options: SessionIngestOptions): Promise<SessionIngestResult> {
  const { db } = options;
  const { discoveries, listings } = await (options.discovery ?? startTranscriptDiscovery(db, options));
  rememberListings(db, listings);
  const { work, stats } = changedFiles(db, discoveries, options.since);
  const reader = new TranscriptReader(db, options, discoveries, work);
  const bytesTotal = work.reduce((n, w) => n + w.file.size, 0);
  let bytesDone = 0;
  try {
    for (let i = 0; i < work.length; i++) {
      reader.read(i);
      bytesDone += work[i]!.file.size;
      options.onProgress?.(bytesDone, bytesTotal);
    }
    reader.close();
  } catch (error) {
    reader.abort();
    throw error;
  }
  reader.finish();
  for (const stat of stats) {
    stat.sessions = [...reader.touched].filter((id) => id.startsWith(`${stat.provider}:`)).length;
  }
  return { stats, touchedSessions: owedSessions(db), filesOnThread: reader.filesOnThread };
}

/** Every provider's transcript files, and the directory listings to remember (null: unchanged). */
export interface TranscriptDiscovery {
  discoveries: Discovered[];
  listings: string | null;
}

/**
 * Starts walking every provider's folders for transcripts and returns at once: what it needs of the
 * database is read now, the walk runs on the event loop's next turns (it yields as it goes), and
 * it writes nothing — ingestSessions stores the listings. The pipeline starts it before git's
 * ingest, so the walk fills the time spent waiting for git. `repositoryRoots`: repositories to
 * look in besides the recorded ones (the one being ingested may not be recorded yet).
 */
export function startTranscriptDiscovery(
  db: Database,
  options: Pick<SessionIngestOptions, 'providers' | 'environment'> & { repositoryRoots?: readonly string[] },
): Promise<TranscriptDiscovery> {
  const recorded = db
    .prepare(`SELECT root_path FROM metadata_repositories`)
    .all<{ root_path: string }>()
    .map((r) => r.root_path);
  const environment = {
    ...options.environment,
    // Every work tree of every known repository: aider keeps its history in the root of the one it ran in.
    knownRoots: options.environment.knownRoots ?? allWorktreeRoots([...recorded, ...(options.repositoryRoots ?? [])]),
  };
  const remembered = db.prepare(`SELECT value FROM paceflow_meta WHERE key = 'directory_listings'`).get<{ value: string }>()?.value;
  const walk = async (): Promise<TranscriptDiscovery> => {
    await nextTurn();
    const listings = new DirectoryListings(remembered);
    useDirectoryListings(listings);
    const discoveries: Discovered[] = [];
    try {
      for (const provider of options.providers) discoveries.push({ provider, discovery: await provider.discover(environment) });
    } finally {
      useDirectoryListings(null);
    }
    return { discoveries, listings: listings.toJson() };
  };
  return walk();
}

/** Stores the listings a discovery read, for the next run's walk. */
function rememberListings(db: Database, listings: string | null): void {
  if (listings === null) return;
  db.transaction(() =>
    db
      .prepare(
        `INSERT INTO paceflow_meta (key, value) VALUES ('directory_listings', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      )
      .run([listings]),
  );
}

function emptyStats(provider: SessionProvider, discovery: Discovered['discovery']): ProviderIngestStats {
  return {
    provider: provider.name,
    locations: discovery.locations,
    filesFound: discovery.files.length + discovery.skipped.length,
    filesRead: 0,
    filesUnchanged: 0,
    filesOlderThanSince: 0,
    bytesRead: 0,
    records: 0,
    edits: 0,
    sessions: 0,
    skippedLines: {},
    skipExamples: [],
    skippedFiles: [...discovery.skipped],
    unread: [],
  };
}

/**
 * paceflow_meta's key for the digest of every transcript a run found (provider, path, size,
 * modification time) when each was at its watermark. Any write to a watermark deletes it
 * (sql/018's triggers), so while it is there and a walk finds the same, no transcript changed.
 */
const UNCHANGED_KEY = 'transcripts_at_watermarks';

/** How many paths are joined and hashed at a time (~35 KB of the 80k bench's home's). */
const PATHS_PER_UPDATE = 256;

/** What a walk found, as a digest: the same files, sizes and times give the same. */
function discoveryDigest(discoveries: readonly Discovered[]): string {
  // The paths joined by one native call a few hundred at a time, the sizes and times hashed as
  // numbers: a text of every file's path, size and time built by appending cost ~5 ms of a cold
  // process for 3,049 files (the number-to-text conversions and the rope's pieces). Not all paths
  // at once: the joined text and its UTF-8 copy were each ~0.9 MB of memory the process touched
  // for the first time (~230 page faults each on the transcript bench's home, at ~16 µs a fault
  // on this machine; bench/README, session 72), where a few hundred paths fit in what is reused.
  const digest = createHash('sha256');
  for (const { provider, discovery } of discoveries) {
    const { files } = discovery;
    const numbers = new Float64Array(files.length * 2);
    // A path has no NUL; the count keeps one provider's files from passing for another's.
    digest.update(`${provider.name}\n${files.length}\n`);
    for (let start = 0; start < files.length; start += PATHS_PER_UPDATE) {
      const end = Math.min(start + PATHS_PER_UPDATE, files.length);
      const paths = new Array<string>(end - start);
      for (let i = start; i < end; i++) {
        const file = files[i]!;
        paths[i - start] = file.path;
        numbers[2 * i] = file.size;
        numbers[2 * i + 1] = file.mtimeMs;
      }
      digest.update(start === 0 ? paths.join('\0') : `\0${paths.join('\0')}`);
    }
    digest.update(new Uint8Array(numbers.buffer));
  }
  return digest.digest('hex');
}

/** The files whose size or modification time changed since their watermark, oldest first. */
function changedFiles(
  db: Database,
  discoveries: readonly Discovered[],
  since: Date | undefined,
): { work: FileWork[]; stats: ProviderIngestStats[] } {
  // A re-run with nothing new is a directory walk and this. When the walk found what the last run
  // that found every transcript at its watermark did, and no watermark was written since, every
  // file is unchanged: no watermark is read (3,049 rows, ~13 ms, on the 80k bench's home).
  const digest = discoveryDigest(discoveries);
  const known = db.prepare(`SELECT value FROM paceflow_meta WHERE key = ?`).get<{ value: string }>([UNCHANGED_KEY])?.value;
  if (known === digest) {
    return {
      work: [],
      stats: discoveries.map(({ provider, discovery }) => ({ ...emptyStats(provider, discovery), filesUnchanged: discovery.files.length })),
    };
  }
  // Else one query for every watermark. SQLite's data_version moves when another connection
  // commits: the digest is kept only if none did between this read and keeping it (a hooks'
  // worker and a `paceflow ingest` may run at once; the digest must not outlive a mark it did not see).
  const dataVersion = () => db.prepare('PRAGMA data_version').get<{ data_version: number }>()!.data_version;
  const readAt = dataVersion();
  const marks = new Map(
    db
      .prepare(`SELECT source_path, size, mtime_ms FROM fact_ingest_watermarks`)
      .all<{ source_path: string; size: number; mtime_ms: number }>()
      .map((w) => [w.source_path, w]),
  );
  const work: FileWork[] = [];
  const stats: ProviderIngestStats[] = [];
  let allAtMarks = true;
  for (const { provider, discovery } of discoveries) {
    const stat = emptyStats(provider, discovery);
    stats.push(stat);
    const changed = discovery.files.filter((file) => {
      const mark = marks.get(file.path);
      return !(mark && mark.size === file.size && mark.mtime_ms === file.mtimeMs);
    });
    stat.filesUnchanged = discovery.files.length - changed.length;
    if (changed.length > 0) allAtMarks = false;
    // Oldest first: a resumed session's predecessor is read before the file that copies it.
    changed.sort((a, b) => a.mtimeMs - b.mtimeMs || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    for (const file of changed) {
      if (since && file.mtimeMs < since.getTime()) {
        stat.filesOlderThanSince++;
        stat.unread.push(file);
        continue;
      }
      work.push({ provider, file, stat });
    }
  }
  if (allAtMarks) {
    db.transaction(() => {
      if (dataVersion() !== readAt) return;
      db.prepare(`INSERT INTO paceflow_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run([
        UNCHANGED_KEY,
        digest,
      ]);
    });
  }
  return { work, stats };
}

/** Where reading a file starts: after its watermark when the file only grew, else from the top. */
function startPoint(
  file: SourceFile,
  mark: Watermark | undefined,
  whole: boolean,
  compressed: boolean,
): { startOffset: number; startLine: number; rewritten: boolean } {
  const fromTop = { startOffset: 0, startLine: 0, rewritten: mark !== undefined };
  if (!mark || whole || compressed) return fromTop;
  const sameHead =
    file.size >= mark.byte_offset && mark.head_length > 0
      ? headChecksum(file.path, mark.head_length) === mark.head_checksum
      : file.size >= mark.byte_offset && mark.byte_offset === 0;
  return sameHead ? { startOffset: mark.byte_offset, startLine: mark.record_index, rewritten: false } : fromTop;
}

/** A .zst transcript's bytes, or the reason it cannot be read here. */
function decompressed(file: SourceFile): { content: Buffer } | { skip: string } {
  if (!zstdDecompressSync) return { skip: `zstd-compressed; this Node ${process.version} cannot decompress it (needs 22.15 or newer)` };
  try {
    return { content: zstdDecompressSync(readFileSync(file.path)) };
  } catch (error) {
    return { skip: `cannot decompress: ${(error as Error).message}` };
  }
}

/** What one file's read added, folded into its provider's stats. */
function countInto(stat: ProviderIngestStats, path: string, bytesRead: number, counts: SessionWriter['counts']): void {
  stat.filesRead++;
  stat.bytesRead += bytesRead;
  stat.records += counts.records;
  stat.edits += counts.edits;
  for (const [reason, n] of Object.entries(counts.skips)) {
    const key = reason as SkipReason;
    stat.skippedLines[key] = (stat.skippedLines[key] ?? 0) + (n ?? 0);
  }
  if (counts.lastSkip && stat.skipExamples.length < 5) stat.skipExamples.push(`${path}: ${counts.lastSkip}`);
}

/** Where a file's read starts, read from its watermark. */
interface ReadPlan {
  mark: Watermark | undefined;
  whole: boolean;
  startOffset: number;
  startLine: number;
  rewritten: boolean;
}

/** A file sent to the transcript thread ahead of its turn. */
interface SentFile {
  job: number;
  plan: ReadPlan;
  path: string;
  bytes: number;
}

/**
 * Files sent ahead: at least two, or up to this many bytes, so the thread is never idle while the
 * main thread writes. What the thread parsed ahead waits within its own bound (thread-channel.ts);
 * this one bounds what it was asked: the files sent, their plans here.
 */
const SEND_AHEAD_BYTES = 64 * 1024 * 1024;
const SEND_AHEAD_FILES = 1024;

/**
 * Reads the changed files one by one into shared file batches: one SessionWriter per provider, the
 * record-id index dropped for a first run's bulk load and built again at the end. A first run with
 * much to read parses on a second thread (TranscriptThread) while this one writes the file before;
 * every row is still written here, in file order, inside the file's savepoint.
 */
class TranscriptReader {
  readonly touched = new Set<string>();
  filesOnThread = 0;
  private readonly now: string;
  private readonly resolver: PathRepositoryResolver;
  private readonly batch: FileBatches;
  private readonly writers = new Map<ProviderName, SessionWriter>();
  private readonly saved: SavedRecords;
  private readonly pendingEdits: PendingEdits;
  private readonly editReplay: EditReplay;
  private readonly bulk: boolean;
  private readonly storedRecordIds = new Map<ProviderName, string | null>();
  private readonly sql;
  private thread: TranscriptThread | null = null;
  /** Files sent to the thread, by their place in `work`. */
  private readonly sent = new Map<number, SentFile>();
  /** The next place in `work` to consider sending; no file past one read here is sent before it is read. */
  private sendFrom = 0;
  private sentBytes = 0;
  /** The paths of the files in `sent` (a file listed twice is in it once at most). */
  private readonly sentPaths = new Set<string>();
  private sending = true;
  private readonly opsPerMessage: number;

  constructor(
    private readonly db: Database,
    private readonly options: SessionIngestOptions,
    discoveries: readonly Discovered[],
    private readonly work: readonly FileWork[],
  ) {
    this.now = (options.now ?? (() => new Date()))().toISOString();
    this.resolver = new PathRepositoryResolver(db);
    if (options.knownRepository) this.resolver.knowRepository(options.knownRepository.commonDir, options.knownRepository.repoId);
    this.sql = {
      watermark: db.prepare(`SELECT * FROM fact_ingest_watermarks WHERE source_path = ?`),
      saveWatermark: db.prepare(`
        INSERT INTO fact_ingest_watermarks
          (source_path, provider, size, mtime_ms, byte_offset, record_index, head_length, head_checksum, skipped_lines, last_skip, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (source_path) DO UPDATE SET
          size = excluded.size, mtime_ms = excluded.mtime_ms, byte_offset = excluded.byte_offset,
          record_index = excluded.record_index, head_length = excluded.head_length, head_checksum = excluded.head_checksum,
          skipped_lines = excluded.skipped_lines, last_skip = coalesce(excluded.last_skip, fact_ingest_watermarks.last_skip),
          updated_at = excluded.updated_at`),
      forgetRecords: db.prepare(`
        DELETE FROM fact_session_records
        WHERE source_file_id = (SELECT source_file_id FROM fact_ingest_watermarks WHERE source_path = ?)`),
      forgetEdits: db.prepare(`DELETE FROM fact_session_file_edits WHERE source_path = ?`),
      sessionsOfFile: db.prepare(`SELECT session_id FROM metadata_sessions WHERE source_path = ?`),
      owe: db.prepare(`INSERT OR IGNORE INTO paceflow_owed_session_events (session_id) VALUES (?)`),
      readable: db.prepare(`DELETE FROM fact_unreadable_sources WHERE source_path = ?`),
      unreadable: db.prepare(`
        INSERT INTO fact_unreadable_sources (source_path, provider, reason, seen_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (source_path) DO UPDATE SET provider = excluded.provider, reason = excluded.reason, seen_at = excluded.seen_at`),
    };
    // A run that starts with no records (the first ingest) dedupes copied records in memory, so the
    // index on record_id is dropped and built once at the end: keeping it current row by row costs
    // more than a third of the run. A run that was interrupted gets it back at the next start.
    this.saved = new SavedRecords(hasSessionRecords(db));
    this.pendingEdits = new PendingEdits(db.prepare(`SELECT 1 AS x FROM fact_session_file_edits LIMIT 1`).get() !== undefined);
    this.bulk = work.length > 0 && !this.saved.storedBefore;
    const indexed = hasIndex(db, 'fact_session_records_by_record');
    if (this.bulk && indexed) db.transaction(() => db.exec(`DROP INDEX IF EXISTS fact_session_records_by_record`));
    else if (!this.bulk && !indexed) db.transaction(() => db.exec(RECORD_ID_INDEX));
    // Read before anything is written: a provider keeps the id scheme its stored records use.
    const storedRecordId = db.prepare(`SELECT record_id FROM fact_session_records WHERE session_id >= ? AND session_id < ? LIMIT 1`);
    for (const { provider } of discoveries) {
      this.storedRecordIds.set(
        provider.name,
        storedRecordId.get<{ record_id: string }>([`${provider.name}:`, `${provider.name};`])?.record_id ?? null,
      );
    }
    this.editReplay = new EditReplay(db, !this.pendingEdits.storedBefore);
    this.batch = new FileBatches(db, this.editReplay);
    // The thread only on a first run: its record ids are then the run's own, known without the
    // database; a later run reads what was appended, too little to pay for a thread.
    const threadOption = options.parseThread;
    this.opsPerMessage = (threadOption === false ? undefined : threadOption?.opsPerMessage) ?? OPS_PER_MESSAGE;
    if (this.bulk && threadOption !== false && (threadOption?.cores ?? availableParallelism()) > 1) {
      const bytes = work.reduce((n, w) => n + (this.onThread(w) ? w.file.size : 0), 0);
      if (bytes >= (threadOption?.fromBytes ?? THREAD_FROM_BYTES)) {
        this.thread = TranscriptThread.start(
          this.pendingEdits.storedBefore,
          threadOption?.url,
          threadOption?.waitMs,
          threadOption?.inFlight,
        );
      }
    }
  }

  private writerFor(provider: SessionProvider): SessionWriter {
    let writer = this.writers.get(provider.name);
    if (!writer) {
      writer = new SessionWriter(this.db, provider.name, this.resolver, this.now, this.saved, this.pendingEdits, this.editReplay);
      this.writers.set(provider.name, writer);
    }
    return writer;
  }

  /** Files the thread can read: a registered provider's JSON Lines, uncompressed, read from a start point. */
  private onThread({ provider, file }: FileWork): boolean {
    return (
      ALL_PROVIDERS[provider.name] === provider &&
      provider.format === 'jsonl' &&
      provider.wholeFile?.(file.path) !== true &&
      !file.path.endsWith('.zst')
    );
  }

  /** Where a file's read starts (its watermark, and whether the file was rewritten). */
  private plan({ provider, file }: FileWork, compressed: boolean): ReadPlan {
    const mark = this.sql.watermark.get<Watermark>([file.path]);
    const whole = provider.format === 'document' || provider.wholeFile?.(file.path) === true;
    return { mark, whole, ...startPoint(file, mark, whole, compressed) };
  }

  /**
   * Sends the files after `index` to the thread, up to SEND_AHEAD_BYTES, stopping at one it
   * cannot read: the ids that file saves must reach the thread before any later file is parsed.
   * What is read for a file here concerns that file's rows alone (its watermark, its pending
   * calls, its known session), which no other file's read changes but one: an earlier file can
   * take over a pending edit's row, so the thread's pending calls may be more (see OpSink).
   */
  private sendAhead(index: number): void {
    if (!this.thread || !this.sending) return;
    this.sendFrom = Math.max(this.sendFrom, index);
    while (
      this.sendFrom < this.work.length &&
      (this.sent.size < 2 || this.sentBytes < SEND_AHEAD_BYTES) &&
      this.sent.size < SEND_AHEAD_FILES
    ) {
      const item = this.work[this.sendFrom]!;
      // A file listed twice is sent again only once its first read is written: its start point
      // comes from the watermark that read leaves.
      if (!this.onThread(item) || this.sentPaths.has(item.file.path)) return;
      const plan = this.plan(item, false);
      const writer = this.writerFor(item.provider);
      const job = this.thread.send({
        provider: item.provider.name,
        file: item.file,
        startOffset: plan.startOffset,
        startLine: plan.startLine,
        maxLineBytes: this.options.maxLineBytes ?? DEFAULT_MAX_LINE,
        opsPerMessage: this.opsPerMessage,
        skim: this.options.skim !== false,
        storedRecordId: this.storedRecordIds.get(item.provider.name) ?? null,
        pendingCalls: plan.rewritten ? [] : writer.pendingCallsOf(item.file.path),
        knownSession: writer.knownSession(item.file.path),
      });
      this.sent.set(this.sendFrom, { job, plan, path: item.file.path, bytes: item.file.size });
      this.sentPaths.add(item.file.path);
      this.sentBytes += item.file.size;
      this.sendFrom++;
    }
  }

  /** The thread is let go (the run ends, it failed, or memory asks for the database); files not yet read are read here. */
  private stopThread(): void {
    this.thread?.stop();
    this.thread = null;
    this.sent.clear();
    this.sentPaths.clear();
    this.sentBytes = 0;
  }

  /** Reads the run's `index`th file; a file that cannot be read is reported and left for the next run, with nothing of it written. */
  read(index: number): void {
    this.sendAhead(index);
    const sent = this.sent.get(index);
    if (sent) {
      this.sent.delete(index);
      this.sentPaths.delete(sent.path);
      this.sentBytes -= sent.bytes;
    }
    const { provider, file, stat } = this.work[index]!;
    const writer = this.writerFor(provider);
    const compressed = file.path.endsWith('.zst');
    let content: Buffer | undefined;
    if (compressed) {
      const result = decompressed(file);
      if ('skip' in result) {
        this.unreadable(provider, file, stat, result.skip);
        return;
      }
      content = result.content;
    }
    try {
      const parsed = this.parseFile(this.work[index]!, writer, content, sent);
      const savedIds = writer.fileSaved();
      if (!sent && this.thread) this.thread.savedElsewhere(savedIds, parsed.counts.edits > 0);
      if (this.bulk && !this.saved.storedBefore && this.saved.ids.size > (this.options.recordIdsInMemory ?? RECORD_IDS_IN_MEMORY)) {
        // Memory stays bounded on a very large first run: index what is stored and ask the database.
        this.db.transaction(() => this.db.exec(RECORD_ID_INDEX));
        this.saved.askDatabase();
        // The thread's own copy of the ids goes too, once the files sent to it are read.
        this.sending = false;
      }
      if (!this.sending && this.sent.size === 0) this.stopThread();
      countInto(stat, file.path, parsed.read.bytesRead, parsed.counts);
    } catch (error) {
      const err = error as NodeJS.ErrnoException;
      if (typeof err.code === 'string' && err.code.startsWith('SQLITE_')) {
        this.batch.abort();
        throw error;
      }
      writer.fileRolledBack();
      if (error instanceof TranscriptThreadGone) {
        // Nothing of the file was kept: it is read again here, and so is every file after it.
        this.stopThread();
        this.sending = false;
        this.read(index);
        return;
      }
      stat.unread.push(file);
      this.unreadable(provider, file, stat, readErrorReason(err));
    }
  }

  /** The file's new rows and its watermark, inside the batch's savepoint for this file. */
  private parseFile(item: FileWork, w: SessionWriter, content: Buffer | undefined, sent: SentFile | undefined) {
    const { provider, file } = item;
    const { mark, whole, startOffset, startLine, rewritten } = sent?.plan ?? this.plan(item, content !== undefined);
    const compressed = content !== undefined;
    return this.batch.file(() => {
      if (rewritten) {
        for (const row of this.sql.sessionsOfFile.all<{ session_id: string }>([file.path])) this.owe(row.session_id);
        this.sql.forgetRecords.run([file.path]);
        this.sql.forgetEdits.run([file.path]);
      }
      w.beginFile(file.path);
      let read: LineReadResult;
      if (sent && this.thread) {
        read = this.thread.take(sent.job, w);
        this.filesOnThread++;
      } else {
        const parser = provider.parser({ file, sink: w, storedRecordId: this.storedRecordIds.get(provider.name) ?? null });
        const onSkip = (reason: SkipReason, lineNumber: number, detail?: string) => w.skip(reason, lineNumber, detail);
        read = whole
          ? readDocument(file.path, parser, onSkip)
          : readTranscriptLines(file.path, parser, onSkip, {
              startOffset,
              startLine,
              ...(this.options.maxLineBytes !== undefined ? { maxLineBytes: this.options.maxLineBytes } : {}),
              skim: this.options.skim !== false,
              ...(content ? { content } : {}),
            });
        parser.end();
      }
      const sessionIds = w.flush();
      // The events these rows need are owed in the same transaction as the rows (see owedSessions).
      if (w.counts.records > 0 || w.counts.edits > 0) for (const id of sessionIds) this.owe(id);
      this.sql.readable.run([file.path]);
      const headLength = Math.min(read.endOffset, HEAD_BYTES);
      // The head as it was read; a read that started mid-file opens the file for it.
      const checksum =
        compressed || whole || headLength === 0
          ? null
          : read.head && read.head.length >= headLength
            ? hash('sha1', read.head.subarray(0, headLength), 'hex')
            : headChecksum(file.path, headLength);
      this.sql.saveWatermark.run([
        file.path,
        provider.name,
        file.size,
        file.mtimeMs,
        read.endOffset,
        read.endLine,
        headLength,
        checksum,
        (rewritten ? 0 : (mark?.skipped_lines ?? 0)) + w.counts.skipped,
        w.counts.lastSkip,
        this.now,
      ]);
      return { read, sessionIds, counts: { ...w.counts } };
    }, file.size);
  }

  private owe(sessionId: string): void {
    this.touched.add(sessionId);
    this.sql.owe.run([sessionId]);
  }

  /** A file that cannot be read: counted in the stats and kept for doctor until a run reads it. */
  private unreadable(provider: SessionProvider, file: SourceFile, stat: ProviderIngestStats, reason: string): void {
    stat.skippedFiles.push({ path: file.path, reason });
    this.batch.outside(() => this.sql.unreadable.run([file.path, provider.name, reason, this.now]));
  }

  close(): void {
    this.stopThread();
    this.batch.close();
  }

  /** A failed run: the open batch rolls back, and a dropped record-id index comes back. */
  abort(): void {
    this.stopThread();
    this.batch.abort();
    if (!this.bulk) return;
    try {
      this.db.transaction(() => this.db.exec(RECORD_ID_INDEX));
    } catch {
      // The next run builds it at its start.
    }
  }

  /** The record-id index back after a bulk load, and the session titles that point across files. */
  finish(): void {
    if (this.bulk) this.db.transaction(() => this.db.exec(RECORD_ID_INDEX));
    applyOwedTitles(this.db);
  }
}

/**
 * Groups files into shared BEGIN IMMEDIATE transactions (one commit per ~256 MB or 1,024 files
 * instead of one per file), with a SAVEPOINT per file: a file that fails is rolled back alone and
 * its watermark stays where it was, so it is read again next time. Each commit checkpoints the WAL;
 * 256 MB batches made a 1 GB first run 0.7 s faster than 64 MB ones and hold the write lock about
 * 3 s, well inside the 5 s busy timeout a hook's worker waits.
 */
class FileBatches {
  private open = false;
  private bytes = 0;
  private files = 0;
  /** Puts temp_store back when the batch ends: its statement journals are kept in memory. */
  private restoreTempStore = () => {};
  /** Makes the edits' replay triggers again before the batch commits (edit-replay.ts). */
  private restoreTriggers = () => {};

  constructor(
    private readonly db: Database,
    private readonly editReplay: EditReplay | null = null,
  ) {}

  file<T>(fn: () => T, size = 0): T {
    if (!this.open) {
      this.restoreTempStore = statementJournalsInMemory(this.db);
      try {
        this.db.exec('BEGIN IMMEDIATE');
      } catch (error) {
        this.endBatch();
        throw error;
      }
      this.open = true;
      this.restoreTriggers = this.editReplay?.putOff() ?? (() => {});
    }
    this.db.exec('SAVEPOINT paceflow_file');
    try {
      const result = fn();
      this.db.exec('RELEASE paceflow_file');
      this.bytes += size;
      this.files++;
      if (this.bytes > 256 * 1024 * 1024 || this.files >= 1024) this.close();
      return result;
    } catch (error) {
      this.db.exec('ROLLBACK TO paceflow_file');
      this.db.exec('RELEASE paceflow_file');
      throw error;
    }
  }

  close(): void {
    if (!this.open) return;
    const restore = this.restoreTriggers;
    this.restoreTriggers = () => {};
    restore();
    this.db.exec('COMMIT');
    this.open = false;
    this.bytes = 0;
    this.files = 0;
    this.endBatch();
    crashPoint('transcript-batch');
  }

  /** Writes that belong to no file's savepoint: in the open batch (committed with it), else alone. */
  outside(fn: () => void): void {
    if (this.open) fn();
    else this.db.transaction(fn);
  }

  abort(): void {
    try {
      if (this.open) this.db.exec('ROLLBACK');
    } finally {
      this.open = false;
      // The rollback took the dropped triggers' DDL back with it.
      this.restoreTriggers = () => {};
      this.editReplay?.rolledBack();
      this.endBatch();
    }
  }

  private endBatch(): void {
    const restore = this.restoreTempStore;
    this.restoreTempStore = () => {};
    restore();
  }
}

/** A `document` provider's file: read whole and handed over at once. */
function readDocument(
  path: string,
  parser: { document?(text: string): void },
  onSkip: (reason: SkipReason, lineNumber: number) => void,
): LineReadResult {
  const bytes = readFileSync(path);
  parser.document?.(utf8Text(bytes, onSkip));
  return { endOffset: bytes.length, endLine: 0, bytesRead: bytes.length };
}

/**
 * A document's text. Decoding would turn invalid UTF-8 into U+FFFD and let a damaged line pass as
 * a record: each line that is not valid UTF-8 is emptied instead, and counted as skipped.
 */
export function utf8Text(bytes: Buffer, onSkip: (reason: SkipReason, lineNumber: number) => void): string {
  if (isUtf8(bytes)) return bytes.toString('utf8');
  const lines: string[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== 0x0a) continue;
    const line = bytes.subarray(start, i);
    if (isUtf8(line)) lines.push(line.toString('utf8'));
    else {
      lines.push('');
      onSkip('invalid_utf8', lines.length);
    }
    start = i + 1;
  }
  return lines.join('\n');
}
