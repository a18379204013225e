import { homedir } from 'node:os';
import { crashPoint } from '../crash-point.js';
import { buildSessionEvents } from '../builders/sessions.js';
import { type ConfigOverrides, loadConfig, type PaceflowConfig } from '../config/config.js';
import type { Database } from '../db/driver.js';
import { withRollbackJournal } from '../db/journal.js';
import { databaseExists, withDatabase } from '../db/with-database.js';
import { NotAGitRepositoryError, UsageError } from '../errors.js';
import { collectAfterPhase } from '../heap.js';
import { locateRepository, type RepositoryLocation } from '../git/repository.js';
import { type GitIngestResult, ingestGit } from '../ingest/git.js';
import {
  forgetOwedSessions,
  hasSessionRecords,
  ingestSessions,
  type ProviderIngestStats,
  startTranscriptDiscovery,
  type TranscriptDiscovery,
} from '../ingest/sessions.js';
import { selectProviders } from '../providers/index.js';
import type { ProviderEnvironment, SessionProvider } from '../providers/types.js';
import { packageVersion } from '../version.js';
import { type BuilderSummary, patchStoreFor, releaseFreedMemoryAfterCollections, runBuilders } from './builders.js';
import type { PatchStore } from '../git/patch-store.js';
import { BranchWalks } from '../git/log.js';
import { builtInputs, owesNotes, queuedWork, saveBuiltState, stillBuilt, takeBuiltStates, windowsDue } from './built-state.js';
import { cleanupWarnings, describeGitIngest, describeSessionIngest } from './messages.js';

/** A progress display for one stage (the CLI draws a bar on a terminal; everyone else passes none). */
export interface Progress {
  total(n: number): void;
  update(done: number): void;
  done(): void;
}

export interface UpdateOptions {
  /** Session providers to read (none: git only). */
  providers: readonly SessionProvider[];
  environment: ProviderEnvironment;
  /** Only transcripts modified since then. */
  since?: Date;
  /** Run the notes step and the builders (default true). */
  attribution?: boolean;
  /** Write refs/notes/paceflow for commits attributed from local transcripts (default true). */
  notes?: boolean;
  progress?: (label: string) => Progress;
  /** Where the update was asked from (named when it is not a repository). */
  cwd: string;
  /** The clock the builders' windows are judged by (tests). */
  now?: () => Date;
  /** Nobody reads the messages (the hooks' worker): the builders leave out their totals (BuildContext.quiet). */
  quiet?: boolean;
}

export interface UpdateSummary {
  /** null outside a git repository (sessions are still read). */
  git: GitIngestResult | null;
  sessions: ProviderIngestStats[];
  /** What each builder did, in run order (empty when they did not run). */
  builders: BuilderSummary[];
  /** Lines for a person: what was recorded. */
  messages: string[];
  /** Anything to know: shallow clone, skipped input, transcripts about to be deleted. */
  warnings: string[];
}

/**
 * The one place an update runs (DESIGN §1): git history → session transcripts (and their session
 * events) → notes → every builder in BUILDERS order. Each stage writes in its own transactions.
 */
export async function updateRepository(
  db: Database,
  location: RepositoryLocation | null,
  config: PaceflowConfig,
  options: UpdateOptions,
): Promise<UpdateSummary> {
  const summary: UpdateSummary = { git: null, sessions: [], builders: [], messages: [], warnings: [] };
  // git's ingest ends with a collection too: what it frees outside V8's heap goes back as well.
  releaseFreedMemoryAfterCollections();
  // Taken before anything is ingested: a run killed from here on leaves no state (built-state.ts).
  const built = takeBuiltStates(db, location?.root ?? null);
  // The transcripts' folders are walked while git's ingest waits on git (a nothing-new run is
  // mostly these two); the walk writes nothing, so a run killed during it leaves nothing half-done.
  const discovery =
    options.providers.length > 0
      ? startTranscriptDiscovery(db, {
          providers: options.providers,
          environment: options.environment,
          repositoryRoots: location ? [location.root] : [],
        })
      : undefined;
  // Its failure is reported where it is awaited (ingestSessions), not as an unhandled rejection
  // while git's ingest runs.
  discovery?.catch(() => {});
  // The run's diff store: the history's pass keeps each new commit's diff in it, and every builder
  // takes its diffs from there before asking git. Only when the builders run; let go at the end.
  const patches = location && options.attribution !== false ? patchStoreFor(db) : undefined;
  // The run's branch walks: ingest's orphan check walks every new branch, and the builders ask
  // for the same branches' commits.
  const walks = new BranchWalks();
  try {
    if (location) {
      summary.git = await updateGit(db, location, config, options, patches, walks);
      crashPoint('git-ingest');
      // The history's pass held a batch of commits and diffs: garbage now (src/heap.ts).
      collectAfterPhase();
      const described = describeGitIngest(summary.git);
      summary.messages.push(...described.messages);
      summary.warnings.push(...described.warnings);
    } else {
      summary.messages.push(`${options.cwd} is not inside a git repository: reading session transcripts only`);
    }
    if (options.providers.length > 0) {
      const repoId = summary.git?.repoId;
      const known = location && repoId ? { commonDir: location.commonDir, repoId } : undefined;
      summary.sessions = await updateSessions(db, options, discovery, known);
      for (const stat of summary.sessions) {
        const described = describeSessionIngest(stat);
        summary.messages.push(described.message);
        summary.warnings.push(...described.warnings);
      }
      const claude = summary.sessions.find((s) => s.provider === 'claude-code');
      if (claude) summary.warnings.push(...cleanupWarnings(db, options.environment, claude.unread));
    }
    const repoId = summary.git?.repoId;
    if (repoId && location && options.attribution !== false) {
      const { ingestNotes } = await import('../ingest/notes.js');
      const notes = await ingestNotes(db, repoId, location.root, undefined, summary.git!.notesTips);
      crashPoint('notes-read');
      const writeNotes = options.notes !== false;
      const inputs = builtInputs(db, repoId, config, writeNotes);
      const now = options.now?.() ?? new Date();
      const skip =
        stillBuilt(built, { repoId, inputs, git: summary.git, sessions: summary.sessions, notesChanged: notes.changed, at: now }) &&
        !queuedWork(db, repoId);
      if (skip) {
        saveBuiltState(db, location.root, built!);
        summary.messages.push(`${repoId}: builders: nothing new since the last build`);
        return summary;
      }
      summary.builders = await runBuilders({
        db,
        repoId,
        root: location.root,
        config,
        writeNotes,
        tool: `paceflow ${packageVersion()}`,
        notesRead: notes.notes,
        ...(options.quiet ? { quiet: true } : {}),
        ...(patches ? { patches } : {}),
        walks,
        settings: summary.git!.settings,
      });
      summary.messages.push(...summary.builders.map((b) => b.message));
      // A note still owed (git refused to write it) is tried again by the next run's builders.
      if (!writeNotes || !owesNotes(db, repoId)) saveBuiltState(db, location.root, { repoId, inputs, due: windowsDue(db, repoId, config) });
    }
    return summary;
  } finally {
    patches?.close();
  }
}

async function updateGit(
  db: Database,
  location: RepositoryLocation,
  config: PaceflowConfig,
  options: UpdateOptions,
  patches: PatchStore | undefined,
  walks: BranchWalks,
): Promise<GitIngestResult> {
  const progress = options.progress?.('git commits');
  return ingestGit({
    db,
    cwd: location.root,
    location,
    config,
    walks,
    ...(patches ? { patches } : {}),
    ...(progress ? { onProgress: (n: number) => progress.update(n), onTotal: (n: number) => progress.total(n) } : {}),
  }).finally(() => progress?.done());
}

async function updateSessions(
  db: Database,
  options: UpdateOptions,
  discovery: Promise<TranscriptDiscovery> | undefined,
  knownRepository: { commonDir: string; repoId: string } | undefined,
): Promise<ProviderIngestStats[]> {
  const progress = options.progress?.('transcripts (bytes)');
  const load = async () => {
    const result = await ingestSessions({
      db,
      providers: options.providers,
      environment: options.environment,
      ...(discovery ? { discovery } : {}),
      ...(knownRepository ? { knownRepository } : {}),
      ...(options.since ? { since: options.since } : {}),
      ...(progress
        ? {
            onProgress: (done: number, total: number) => {
              progress.total(total);
              progress.update(done);
            },
          }
        : {}),
    }).finally(() => progress?.done());
    crashPoint('transcripts-read');
    // The owed events (this run's, and any a killed run left) are built and marked done together.
    const owed = result.touchedSessions;
    if (owed.length > 0) {
      db.transaction(() => {
        buildSessionEvents(db, owed);
        forgetOwedSessions(db, owed);
      });
    }
    crashPoint('session-events');
    return result;
  };
  // The first ingest only adds pages: it writes them once, without the WAL. Only when the walk found
  // a transcript: switching the journal and back costs a checkpoint (~13 ms on git's own history),
  // which every run of a repository without transcripts — a CI job's, say — paid for nothing.
  const bulk = !hasSessionRecords(db) && (await transcriptsFound(discovery));
  const result = await (bulk ? withRollbackJournal(db, load) : load());
  return result.stats;
}

/** Whether the walk found any transcript; a walk that failed may have (ingestSessions reports it). */
async function transcriptsFound(discovery: Promise<TranscriptDiscovery> | undefined): Promise<boolean> {
  if (!discovery) return true;
  return discovery.then(
    ({ discoveries }) => discoveries.some(({ discovery: found }) => found.files.length > 0),
    () => true,
  );
}

export interface UpdateRequest {
  cwd: string;
  db?: string;
  env?: NodeJS.ProcessEnv;
  config?: ConfigOverrides;
  progress?: (label: string) => Progress;
  /** Session providers to read (default: all). */
  providers?: string[];
  /** Only transcripts modified since then (a date or a duration such as 7d). */
  since?: string;
  /** Read session transcripts (default true). */
  sessions?: boolean;
  /** Run the notes step and the builders (default true). */
  attribution?: boolean;
  /** Write refs/notes/paceflow (default true). */
  notes?: boolean;
  /** Nobody reads the summary's messages (the hooks' worker): builders skip the totals only they show. */
  quiet?: boolean;
}

/**
 * Finds the repository at `cwd` (if any), loads its configuration, opens the database and runs
 * updateRepository: what `paceflow ingest`, `report`, the hooks worker and the Action all call.
 */
export async function update(request: UpdateRequest): Promise<UpdateSummary> {
  const env = request.env ?? process.env;
  const environment: ProviderEnvironment = { env, home: env.HOME || homedir() };
  const providers = request.sessions === false ? [] : selectProviders(request.providers);
  const since = parseSince(request.since);
  // git is started here (locateRepository spawns before its first await) and answers while the
  // database opens: the open (~8 ms) fills most of the wait for git (~10 ms of a run with nothing
  // new). A database that does not exist yet is made only once the run is known to go ahead: no
  // file is left behind by a run outside a repository or with a bad configuration file.
  const prepared = locateRepository(request.cwd)
    .catch((error: unknown) => {
      if (!(error instanceof NotAGitRepositoryError) || providers.length === 0) throw error;
      return null;
    })
    .then(async (location) => ({ location, config: (await loadConfig(location?.root ?? null, request.config)).config }));
  prepared.catch(() => undefined);
  const run = async (db: Database) => {
    const { location, config } = await prepared;
    return updateRepository(db, location, config, {
      providers,
      environment,
      cwd: request.cwd,
      ...(since ? { since } : {}),
      ...(request.attribution !== undefined ? { attribution: request.attribution } : {}),
      ...(request.notes !== undefined ? { notes: request.notes } : {}),
      ...(request.progress ? { progress: request.progress } : {}),
      ...(request.quiet ? { quiet: true } : {}),
    });
  };
  if (!databaseExists(request)) await prepared;
  return withDatabase(request, run);
}

export function parseSince(value: string | undefined, now = new Date()): Date | undefined {
  if (value === undefined) return undefined;
  const relative = /^(\d+)\s*(d|day|days|h|hours?|w|weeks?)$/i.exec(value.trim());
  if (relative) {
    const n = Number(relative[1]);
    const unit = relative[2]!.toLowerCase()[0];
    const ms = unit === 'h' ? 3600e3 : unit === 'w' ? 7 * 86400e3 : 86400e3;
    return new Date(now.getTime() - n * ms);
  }
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new UsageError(`--since: not a date or a duration: "${value}" (e.g. 2026-01-31, 7d, 12h)`);
  return date;
}
