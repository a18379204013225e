import { loadConfig, type ConfigOverrides } from '../../config/config.js';
import { locateRepository } from '../../git/repository.js';
import { ingestGit, type GitIngestResult } from '../../ingest/git.js';
import { withDatabase } from '../database.js';
import { createProgress } from '../progress.js';

export interface IngestOptions {
  cwd: string;
  db?: string;
  env?: NodeJS.ProcessEnv;
  config?: ConfigOverrides;
  /** Show a progress bar on stderr when it is a terminal. */
  progress?: boolean;
}

export interface IngestSummary {
  git: GitIngestResult;
  /** Lines for a person: what was recorded, and anything to know (shallow clone). */
  messages: string[];
  warnings: string[];
}

/** `paceflow ingest`: records the repository's git history (session providers join later). */
export async function ingest(options: IngestOptions): Promise<IngestSummary> {
  const location = await locateRepository(options.cwd);
  const { config } = loadConfig(location.root, options.config);
  return withDatabase(options, async (db) => {
    const progress = options.progress ? createProgress('git commits') : null;
    const git = await ingestGit({
      db,
      cwd: location.root,
      config,
      ...(progress ? { onProgress: (n: number) => progress.update(n), onTotal: (n: number) => progress.total(n) } : {}),
    }).finally(() => progress?.done());
    return { git, ...describeGitIngest(git) };
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
      : `${git.commitsAdded.toLocaleString('en')} new commits, ${git.fileChangesAdded.toLocaleString('en')} file changes`;
  return { messages: [`${git.repoId}: ${what}; ${git.refs} refs; ${mainline}`], warnings };
}
