import type { Command } from 'commander';
import { formatCount } from '../../format.js';
import type { ConfigOverrides } from '../../config/config.js';
import type { UpdateSummary } from '../../pipeline/update.js';
import {
  addConfigFlags,
  addSessionFlags,
  type ConfigFlags,
  configOverrides,
  type SessionFlags,
  sessionOptions,
  wantsProgress,
  where,
  withExamples,
  write,
} from '../flags.js';

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
  /** Skip the notes step and the builders. */
  attribution?: boolean;
  /** Write refs/notes/paceflow for commits attributed from local transcripts (default true). */
  notes?: boolean;
}

export type IngestSummary = UpdateSummary;

/**
 * `paceflow ingest`: the pipeline's update (src/pipeline) for the repository at cwd — its git
 * history when inside one, every provider's new transcript bytes, notes, and every builder.
 */
export async function ingest(options: IngestOptions): Promise<IngestSummary> {
  // Loaded here, not at start-up: `paceflow --version` and `--help` never compile the pipeline.
  const [{ update }, { createProgress }] = await Promise.all([import('../../pipeline/update.js'), import('../progress.js')]);
  const { progress, ...request } = options;
  return update({ ...request, ...(progress ? { progress: (label: string) => createProgress(label) } : {}) });
}

export function register(program: Command): void {
  const command = program
    .command('ingest')
    .description('record new commits of the repository (all branches, remote branches and tags) and new session transcripts')
    .option('--no-attribution', 'record history and transcripts without attributing commits')
    .option('--no-notes', 'attribute, but do not write refs/notes/paceflow')
    .option('--no-progress', 'no progress bar on stderr')
    .option('--work', 'also print what each builder cost: rows read, commit diffs parsed, git processes started');
  withExamples(addSessionFlags(addConfigFlags(command)), [
    ['paceflow ingest', 'history, new transcripts and every builder for this repository'],
    ['paceflow ingest --no-sessions', 'git history only'],
    ['paceflow ingest --provider claude codex --since 7d', 'two assistants, transcripts of the last week'],
  ]).action(
    async (
      flags: ConfigFlags & SessionFlags & { progress: boolean; attribution: boolean; notes: boolean; work?: boolean },
      cmd: Command,
    ) => {
      const summary = await ingest({
        ...where(cmd),
        ...sessionOptions(flags),
        attribution: flags.attribution,
        notes: flags.notes,
        config: configOverrides(flags),
        progress: wantsProgress(flags),
      });
      for (const warning of summary.warnings) process.stderr.write(`paceflow: warning: ${warning}\n`);
      for (const message of summary.messages) write(message);
      if (flags.work) write(describeWork(summary));
    },
  );
}

/** One line: each builder's counted work (`--work`), e.g. for the benches. */
export function describeWork(summary: IngestSummary): string {
  const parts = summary.builders.map(
    (b) =>
      `${b.builder} ${formatCount(b.work.rowsRead)} rows, ${formatCount(b.work.diffsRead)} diffs` +
      (b.work.diffsKept > 0 ? ` (${formatCount(b.work.diffsKept)} kept)` : '') +
      (b.work.filesRead > 0 ? `, ${formatCount(b.work.filesRead)} files` : '') +
      `, ${formatCount(b.work.gitProcesses)} git`,
  );
  return `work: ${parts.length > 0 ? parts.join('; ') : 'no builders ran'}`;
}
