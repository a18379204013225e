import { homedir } from 'node:os';
import { packageVersion } from '../version.js';
import { buildSessionEvents } from '../../builders/sessions.js';
import { loadConfig, type ConfigOverrides } from '../../config/config.js';
import type { Database } from '../../db/driver.js';
import { withRollbackJournal } from '../../db/journal.js';
import { NotAGitRepositoryError, UsageError } from '../../errors.js';
import { locateRepository, type RepositoryLocation } from '../../git/repository.js';
import { ingestGit, type GitIngestResult } from '../../ingest/git.js';
import { hasSessionRecords, ingestSessions, type ProviderIngestStats } from '../../ingest/sessions.js';
import { claudeCleanupPeriodDays } from '../../providers/claude-code.js';
import { selectProviders } from '../../providers/index.js';
import type { ProviderEnvironment, SourceFile } from '../../providers/types.js';
import { withDatabase } from '../database.js';
import { createProgress } from '../progress.js';
import { formatCount } from '../format.js';

export interface IngestOptions {
  cwd: string;
  db?: string;
  env?: NodeJS.ProcessEnv;
  config?: ConfigOverrides;
  /** Show progress bars on stderr when it is a terminal. */
  progress?: boolean;
  /** Session providers to read (default: all). */
  providers?: string[];
  /** Only transcripts modified since then. */
  since?: string;
  /** Skip session transcripts (git only). */
  sessions?: boolean;
  /** Skip the attribution builder. */
  attribution?: boolean;
  /** Write refs/notes/paceflow for commits attributed from local transcripts (default true). */
  notes?: boolean;
}

export interface IngestSummary {
  /** null outside a git repository (sessions are still read). */
  git: GitIngestResult | null;
  sessions: ProviderIngestStats[];
  /** Lines for a person: what was recorded. */
  messages: string[];
  /** Anything to know: shallow clone, skipped input, transcripts about to be deleted. */
  warnings: string[];
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

/**
 * `paceflow ingest`: records the repository's git history (when run inside one) and every
 * provider's new session transcripts, then rebuilds the session events they touched.
 */
export async function ingest(options: IngestOptions): Promise<IngestSummary> {
  const env = options.env ?? process.env;
  const environment: ProviderEnvironment = { env, home: env.HOME || homedir() };
  const providers = options.sessions === false ? [] : selectProviders(options.providers);
  const since = parseSince(options.since);
  let location: RepositoryLocation | null = null;
  try {
    location = await locateRepository(options.cwd);
  } catch (error) {
    if (!(error instanceof NotAGitRepositoryError) || providers.length === 0) throw error;
  }
  const { config } = await loadConfig(location?.root ?? null, options.config);
  return withDatabase(options, async (db) => {
    const messages: string[] = [];
    const warnings: string[] = [];
    let git: GitIngestResult | null = null;
    if (location) {
      const progress = options.progress ? createProgress('git commits') : null;
      git = await ingestGit({
        db,
        cwd: location.root,
        config,
        ...(progress ? { onProgress: (n: number) => progress.update(n), onTotal: (n: number) => progress.total(n) } : {}),
      }).finally(() => progress?.done());
      const described = describeGitIngest(git);
      messages.push(...described.messages);
      warnings.push(...described.warnings);
    } else {
      messages.push(`${options.cwd} is not inside a git repository: reading session transcripts only`);
    }
    let sessions: ProviderIngestStats[] = [];
    if (providers.length > 0) {
      const progress = options.progress ? createProgress('transcripts (bytes)') : null;
      const load = async () => {
        const result = await ingestSessions({
          db,
          providers,
          environment,
          ...(since ? { since } : {}),
          ...(progress
            ? {
                onProgress: (done: number, total: number) => {
                  progress.total(total);
                  progress.update(done);
                },
              }
            : {}),
        }).finally(() => progress?.done());
        buildSessionEvents(db, result.touchedSessions);
        return result;
      };
      // The first ingest only adds pages: it writes them once, without the WAL.
      const result = await (hasSessionRecords(db) ? load() : withRollbackJournal(db, load));
      sessions = result.stats;
      for (const stat of sessions) {
        const described = describeSessionIngest(stat);
        messages.push(described.message);
        warnings.push(...described.warnings);
      }
      const claude = sessions.find((s) => s.provider === 'claude-code');
      if (claude) warnings.push(...cleanupWarnings(db, environment, claude.unread));
    }
    if (git?.repoId && location && options.attribution !== false) {
      // Loaded here: a run outside a repository (transcripts only) never compiles them.
      const [{ buildAttribution }, { ingestNotes, writeNotes }, { buildOutcomes }, { buildChurn }, { buildTasks }] = await Promise.all([
        import('../../builders/attribution.js'),
        import('../../ingest/notes.js'),
        import('../../builders/outcomes.js'),
        import('../../builders/churn.js'),
        import('../../builders/tasks.js'),
      ]);
      const notesRead = await ingestNotes(db, git.repoId, location.root);
      const result = await buildAttribution({ db, repoId: git.repoId, cwd: location.root, config, tool: `paceflow ${packageVersion()}` });
      const written = options.notes === false ? 0 : await writeNotes(db, git.repoId, location.root, result.notesToWrite);
      messages.push(
        `${git.repoId}: attribution over ${formatCount(result.commits)} commits ` +
          `(${formatCount(result.patchesRead)} diffs read), ${result.attributed} with lines from sessions; ` +
          `notes: ${notesRead} read, ${written} written`,
      );
      const outcomes = await buildOutcomes({ db, repoId: git.repoId, cwd: location.root, config });
      messages.push(
        outcomes.mainlineTip
          ? `${git.repoId}: outcomes: ${outcomes.merged} commits on mainline, ${outcomes.reverted} reverted later`
          : `${git.repoId}: outcomes: no mainline branch found; merged and reverted stay unknown`,
      );
      const churn = await buildChurn({ db, repoId: git.repoId, cwd: location.root, aiLines: result.aiLines, config });
      messages.push(
        churn.commits === 0
          ? `${git.repoId}: churn: up to date`
          : `${git.repoId}: churn: ${churn.commits} mainline commits updated; within ${config.churnWindowDays} days ` +
              `${churn.aiChurned} of their AI lines and ${churn.churned - churn.aiChurned} other lines churned`,
      );
      const tasks = await buildTasks({ db, repoId: git.repoId, cwd: location.root, config });
      messages.push(`${git.repoId}: tasks: ${tasks.taskCommits} commit links, ${tasks.taskSessions} session links`);
    }
    return { git, sessions, messages, warnings };
  });
}

export function describeGitIngest(git: GitIngestResult): { messages: string[]; warnings: string[] } {
  const warnings: string[] = [];
  if (!git.repoId) {
    return { messages: [`${git.root}: no commits yet; nothing to record`], warnings };
  }
  if (git.isShallow) {
    warnings.push(
      `${git.root} is a shallow clone: history before the cut-off is missing and its counts are partial ` +
        `(run \`git fetch --unshallow\`, or check out with fetch-depth: 0 in CI)`,
    );
  }
  const mainline = git.mainline ? `mainline ${git.mainline.branch} (${git.mainline.source.replace('_', ' ')})` : 'no mainline branch found';
  const what =
    git.commitsRead === 0
      ? 'up to date'
      : `${formatCount(git.commitsAdded)} new commits, ${formatCount(git.fileChangesAdded)} file changes`;
  return { messages: [`${git.repoId}: ${what}; ${git.refs} refs; ${mainline}`], warnings };
}

export function describeSessionIngest(stat: ProviderIngestStats): { message: string; warnings: string[] } {
  const warnings: string[] = [];
  const mb = (stat.bytesRead / 1e6).toFixed(1);
  const message =
    stat.filesFound === 0
      ? `${stat.provider}: no transcripts in ${stat.locations.join(', ')}`
      : `${stat.provider}: ${stat.filesFound} transcripts, ${stat.filesRead} read (${mb} MB), ${stat.filesUnchanged} unchanged` +
        `${stat.filesOlderThanSince > 0 ? `, ${stat.filesOlderThanSince} older than --since` : ''}; ` +
        `${formatCount(stat.records)} new records, ${stat.edits} edits, ${stat.sessions} sessions updated`;
  const skipped = Object.entries(stat.skippedLines).filter(([, n]) => (n ?? 0) > 0);
  if (skipped.length > 0) {
    const total = skipped.reduce((n, [, c]) => n + (c ?? 0), 0);
    warnings.push(
      `${stat.provider}: skipped ${total} lines (${skipped.map(([r, n]) => `${n} ${r.replace('_', ' ')}`).join(', ')}); ` +
        `e.g. ${stat.skipExamples.slice(0, 2).join('; ')}`,
    );
  }
  for (const file of stat.skippedFiles.slice(0, 5)) warnings.push(`${stat.provider}: skipped ${file.path}: ${file.reason}`);
  if (stat.skippedFiles.length > 5) warnings.push(`${stat.provider}: … and ${stat.skippedFiles.length - 5} more files skipped`);
  return { message, warnings };
}

/**
 * Transcripts Claude deletes within a week (after cleanupPeriodDays, by modification time) that
 * this run left unread or that were read only in part.
 */
function cleanupWarnings(db: Database, environment: ProviderEnvironment, unread: readonly SourceFile[]): string[] {
  const days = claudeCleanupPeriodDays(environment);
  const soon = Date.now() - Math.max(days - 7, 0) * 86400e3;
  const partial = db
    .prepare(
      `SELECT w.source_path FROM fact_ingest_watermarks w
       WHERE w.provider = 'claude-code' AND w.mtime_ms < ? AND w.byte_offset < w.size`,
    )
    .all<{ source_path: string }>([soon]);
  const rows = [...unread.filter((f) => f.mtimeMs < soon).map((f) => ({ source_path: f.path })), ...partial];
  return rows.length === 0
    ? []
    : [
        `claude-code: ${rows.length} transcripts are not fully read and Claude deletes them after ${days} days ` +
          `(cleanupPeriodDays): ${rows
            .slice(0, 3)
            .map((r) => r.source_path)
            .join(', ')}${rows.length > 3 ? ', …' : ''}`,
      ];
}
