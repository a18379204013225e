import type { Database } from '../db/driver.js';
import { formatCount } from '../format.js';
import type { GitIngestResult } from '../ingest/git.js';
import type { ProviderIngestStats } from '../ingest/sessions.js';
import { claudeCleanupPeriodDays } from '../providers/claude-code.js';
import type { ProviderEnvironment, SourceFile } from '../providers/types.js';

/** The lines an update prints: what each stage recorded, and what a person should know. */

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
  for (const p of git.unreadableRefs) {
    warnings.push(
      `${git.root}: skipped ${p.ref}: git cannot read its history (${p.reason}); the rest is recorded, and this ref is tried again next run (paceflow doctor lists it)`,
    );
  }
  const excluded = git.excludedRefs > 0 ? `, ${git.excludedRefs} left out by refs.exclude` : '';
  return { messages: [`${git.repoId}: ${what}; ${git.refs} refs${excluded}; ${mainline}`], warnings };
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
 * Claude Code's transcripts read short of their end and last written before a time (ms). Its
 * `byte_offset < size` is the partial index's own condition (sql/031): it reads those rows alone,
 * not every watermark, on every run that reads Claude's transcripts.
 */
export const PARTLY_READ_BEFORE = `SELECT w.source_path FROM fact_ingest_watermarks w
  WHERE w.provider = 'claude-code' AND w.mtime_ms < ? AND w.byte_offset < w.size`;

/**
 * Transcripts Claude deletes within a week (after cleanupPeriodDays, by modification time) that
 * this run left unread or that were read only in part.
 */
export function cleanupWarnings(db: Database, environment: ProviderEnvironment, unread: readonly SourceFile[]): string[] {
  const days = claudeCleanupPeriodDays(environment);
  const soon = Date.now() - Math.max(days - 7, 0) * 86400e3;
  const partial = db.prepare(PARTLY_READ_BEFORE).all<{ source_path: string }>([soon]);
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
