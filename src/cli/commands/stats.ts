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

/** `paceflow stats`: the session views over every repository (a report of those views). */
export function register(program: Command): void {
  const command = program
    .command('stats')
    .description('read new session transcripts, then print the session views: quality and productivity')
    .addOption(formatOption())
    .option('--sessions-list', 'also list every session (view_session_productivity)')
    .option('--no-ingest', 'report what the database holds without reading transcripts first')
    .option('--no-progress', 'no progress bar on stderr');
  withExamples(addSessionFlags(command), [
    ['paceflow stats', 'how sessions went, per assistant and repository'],
    ['paceflow stats --sessions-list --since 7d', 'also every session, reading only last week’s transcripts'],
    ['paceflow stats --no-ingest -f csv', 'what the database holds, as CSV'],
  ]).action(async (flags: SessionFlags & { format?: string; sessionsList?: boolean; ingest: boolean; progress: boolean }, cmd: Command) => {
    const views = ['view_global_session_quality', 'view_session_productivity_summary'];
    if (flags.sessionsList) views.push('view_session_productivity');
    const result = await report({
      ...where(cmd),
      format: formatOf(flags),
      style: stdoutStyle(),
      lead: 'sessions',
      views,
      allRepos: true,
      ingest: flags.ingest,
      ...sessionOptions(flags),
      progress: wantsProgress(flags),
    });
    writeNotes(result.notes);
    write(result.output);
  });
}
