import type { Command } from 'commander';
import type { LineExplanation } from '../../builders/attribution.js';
import { UsageError } from '../../errors.js';
import type { Format } from '../../report/render.js';
import { type ShownCommit, type ShownLine, showHeadline } from '../../report/show.js';
import type { TerminalStyle } from '../../report/terminal.js';
import { formatOf, formatOption, stdoutStyle, where, withExamples, write } from '../flags.js';

export interface ShowOptions {
  cwd: string;
  db?: string;
  env?: NodeJS.ProcessEnv;
  commit: string;
  format: Format;
  /** The terminal's width and drawing (default: 80 columns, plain). */
  style?: TerminalStyle;
}

const REASONS: Record<LineExplanation['verdict']['kind'], string> = {
  ai: 'written by a session',
  trivial: 'trivial line (not counted)',
  'no-session': 'no session wrote this file',
  edited: 'not written by a session as it stands',
};

/**
 * `paceflow show <commit>`: the commit's attribution, then each added line with who wrote it or
 * why it did not match. Reads the database as the last ingest left it.
 */
export async function show(options: ShowOptions): Promise<string> {
  const [{ buildAttribution }, { loadConfig }, { identifyRepository }, { gitText }, { withDatabase }] = await Promise.all([
    import('../../builders/attribution.js'),
    import('../../config/config.js'),
    import('../../ingest/git.js'),
    import('../../git/run.js'),
    import('../../db/with-database.js'),
  ]);
  const identity = await identifyRepository(options.cwd);
  if (!identity.repoId) throw new UsageError('the repository has no commits yet');
  let sha: string;
  try {
    sha = await gitText(['rev-parse', '--verify', '--quiet', `${options.commit}^{commit}`], { cwd: identity.location.root });
  } catch {
    throw new UsageError(`not a commit here: ${options.commit}`);
  }
  const { config } = await loadConfig(identity.location.root);
  return withDatabase(options, async (db) => {
    const repoId = identity.repoId!;
    const outcome = db
      .prepare(
        // The marker kind behind a 'trailer' attribution, named as it is: an author marker, a
        // trailer, or a line of the message. ai_committed_by: an assistant committed the person's work.
        `SELECT o.nontrivial_added_lines, o.ai_lines, o.ai_share, o.heavy_ai, o.attribution_coverage,
           CASE WHEN o.attribution_source = 'trailer'
                THEN CASE c.ai_marker_source WHEN 'author' THEN 'author-marker' WHEN 'trailer' THEN 'trailer' ELSE 'message' END
                ELSE o.attribution_source END AS attribution_source,
           c.ai_committed_by, c.subject
         FROM event_commit_outcomes o JOIN metadata_commits c ON c.repo_id = o.repo_id AND c.sha = o.sha
         WHERE o.repo_id = ? AND o.sha = ?`,
      )
      .get([repoId, sha]);
    if (!outcome) throw new UsageError(`commit ${sha.slice(0, 12)} is not in the database yet; run \`paceflow ingest\` first`);
    const attributions = db
      .prepare(
        `SELECT provider, session_id, model, matched_lines, share_of_commit, source FROM event_commit_attributions WHERE repo_id = ? AND sha = ? ORDER BY matched_lines DESC`,
      )
      .all([repoId, sha]);
    let lines: LineExplanation[] = [];
    await buildAttribution({
      db,
      repoId,
      cwd: identity.location.root,
      config,
      only: sha,
      onExplain: (_sha, explained) => (lines = explained),
    });
    return renderShow(options, sha, outcome, attributions, lines);
  });
}

/** The commit explained in the chosen format: terminal lines, Markdown tables, or JSON. */
async function renderShow(
  options: ShowOptions,
  sha: string,
  outcome: Record<string, unknown>,
  attributions: Record<string, unknown>[],
  lines: LineExplanation[],
): Promise<string> {
  const { renderTable } = await import('../../report/render.js');
  const { subject, ...figures } = outcome;
  const shown = { sha, subject, ...figures } as ShownCommit;
  const sorted = lines
    .map((l, i) => ({ l, i }))
    .sort((x, y) => (x.l.path < y.l.path ? -1 : x.l.path > y.l.path ? 1 : x.i - y.i))
    .map(({ l }) => l);
  // A commit credited as a whole (a note, a marker) says so on each of its lines no session wrote.
  const wholeCommit =
    typeof outcome.attribution_source === 'string' && outcome.attribution_source !== 'transcript' ? outcome.attribution_source : null;
  const kindOf = (v: LineExplanation['verdict']): ShownLine['kind'] =>
    wholeCommit && (v.kind === 'no-session' || v.kind === 'edited') ? 'credited' : v.kind;
  if (options.format === 'table') {
    const { renderShowTerminal } = await import('../../report/show.js');
    const { PLAIN_STYLE } = await import('../../report/terminal.js');
    return renderShowTerminal(
      shown,
      attributions as Parameters<typeof renderShowTerminal>[1],
      sorted.map((l) => ({
        path: l.path,
        kind: kindOf(l.verdict),
        edit: l.verdict.kind === 'ai' ? `${l.verdict.toolName} ${l.verdict.editId}` : null,
        written_at: l.verdict.kind === 'ai' ? l.verdict.writtenAt : null,
        line: l.text.replace(/\s+$/, ''),
      })),
      options.style ?? PLAIN_STYLE,
    );
  }
  const summary = renderTable({ name: 'commit', columns: ['sha', ...Object.keys(figures)], rows: [{ sha, ...figures }] }, options.format);
  const who = renderTable(
    {
      name: 'attributions',
      columns: ['provider', 'session_id', 'model', 'matched_lines', 'share_of_commit', 'source'],
      rows: attributions,
    },
    options.format,
  );
  const detail = renderTable(
    {
      name: 'lines',
      columns: ['path', 'verdict', 'session', 'written_at', 'edit', 'line'],
      // Grouped by file (diff order kept within each); each line as committed, indentation kept.
      rows: sorted.map((l) => {
        const v = l.verdict;
        const credited = kindOf(v) === 'credited';
        return {
          path: l.path,
          verdict: credited ? `credited by the commit's ${wholeCommit} (its share, not this line)` : REASONS[v.kind],
          session: v.kind === 'ai' ? `${v.sessionId} (${v.model ?? v.provider})` : null,
          written_at: v.kind === 'ai' ? v.writtenAt : null,
          edit: v.kind === 'ai' ? `${v.toolName} ${v.editId}` : null,
          line: l.text.replace(/\s+$/, ''),
        };
      }),
    },
    options.format,
  );
  if (options.format === 'json')
    return JSON.stringify({ commit: JSON.parse(summary)[0], attributions: JSON.parse(who), lines: JSON.parse(detail) }, null, 2);
  const lead =
    options.format === 'md' ? [`**\`${sha.slice(0, 7)}\` ${escapeMarkdown(String(subject))}** — ${showHeadline(shown)}`, ''] : [];
  return [...lead, summary, '', who, '', detail].join('\n');
}

/** A subject in Markdown text: no emphasis, code, links or HTML from git's text. */
function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_[\]<>|#]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}

export function register(program: Command): void {
  const command = program
    .command('show')
    .description('explain one commit: its AI attribution, and for each added line which session wrote it or why it did not match')
    .argument('<commit>', 'a commit (sha, branch, HEAD~2 …)')
    .addOption(formatOption());
  withExamples(command, [
    ['paceflow show HEAD', 'the last commit, line by line'],
    ['paceflow show 1a2b3c4 -f json', 'one commit, as JSON'],
  ]).action(async (commit: string, flags: { format?: string }, cmd: Command) => {
    write(await show({ ...where(cmd), commit, format: formatOf(flags), style: stdoutStyle() }));
  });
}
