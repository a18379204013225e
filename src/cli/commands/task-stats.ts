import type { Command } from 'commander';
import {
  addSessionFlags,
  formatOf,
  formatOption,
  type SessionFlags,
  sessionOptions,
  wantsProgress,
  where,
  stdoutStyle,
  withExamples,
  write,
  writeNotes,
} from '../flags.js';
import { report } from './report.js';

/** `paceflow task-stats [key]`: how work went per task key (a report of view_task_execution_quality). */
export function register(program: Command): void {
  const command = program
    .command('task-stats')
    .description('bring the repository and transcripts up to date, then print how work went per task key')
    .argument('[key]', 'one task key (e.g. ABC-123); default: every task and the (no task key) bucket')
    .addOption(formatOption())
    .option('--no-ingest', 'report what the database holds without recording anything first')
    .option('--no-progress', 'no progress bar on stderr');
  withExamples(addSessionFlags(command), [
    ['paceflow task-stats', 'every task key and the (no task key) bucket'],
    ['paceflow task-stats ABC-123', 'one task'],
    ['paceflow task-stats --no-ingest -f json', 'what the database holds, as JSON'],
  ]).action(
    async (key: string | undefined, flags: SessionFlags & { format?: string; ingest: boolean; progress: boolean }, cmd: Command) => {
      const result = await report({
        ...where(cmd),
        format: formatOf(flags),
        style: stdoutStyle(),
        views: ['view_task_execution_quality'],
        allRepos: true,
        ingest: flags.ingest,
        ...sessionOptions(flags),
        ...(key ? { taskKey: key } : {}),
        progress: wantsProgress(flags),
      });
      writeNotes(result.notes);
      write(result.output);
    },
  );
}
