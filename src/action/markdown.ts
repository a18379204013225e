import { markdownTable } from 'markdown-table';
import { COMMENT_MARKER } from './comment.js';
import type { Figures } from '../report/figures.js';
import { formatPercent, plural } from '../report/cells.js';
import { headline } from '../report/summary.js';
import { formatCount } from '../format.js';

/**
 * Text from git (subjects, branch names) made safe for a table cell of a PR comment: no table
 * breaks, no HTML, no @mentions that ping people, no code spans or links that change the layout.
 */
export function escapeCell(text: string): string {
  return text
    .replace(/\r?\n/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/`/g, '\\`')
    .replace(/\[/g, '\\[')
    .replace(/\]/g, '\\]')
    .replace(/\*/g, '\\*')
    .replace(/_/g, '\\_')
    .replace(/~/g, '\\~')
    .replace(/@(?=[\w-])/g, '@\u200b')
    .replace(/#(?=\d)/g, '#\u200b');
}

/** 72.7%, or — for none (the same cell the terminal and Markdown reports write). */
export const percent = formatPercent;

const count = (value: number | null | undefined) => (value === null || value === undefined ? '—' : formatCount(value));

/** The commit table stops here; the rest are counted in one line ("and N more"). */
export const COMMIT_ROWS = 30;

export interface ReportContext {
  /** The pull request, when the run is for one. */
  pullRequest?: { number: number; base: string; head: string };
  /** `https://github.com/owner/repo`: commit SHAs link under it. */
  repositoryUrl?: string;
  /** Shown in the footer. */
  version: string;
  /** Lines to show above the figures (a shallow or partial history, notes not found …). */
  notices?: string[];
}

function commitCell(sha: string, context: ReportContext): string {
  const short = `\`${sha.slice(0, 7)}\``;
  return context.repositoryUrl ? `[${short}](${context.repositoryUrl}/commit/${sha})` : short;
}

/** The pull request's headline, its AI work line and its commit table (capped). */
function pullRequestSection(pr: NonNullable<Figures['pullRequest']>, context: ReportContext): string[] {
  const t = pr.totals;
  const out: string[] = [];
  if (t.commits === 0) return ['No non-merge commits with added lines in this pull request.', ''];
  out.push(
    t.tracked_commits === 0
      ? `**No attribution evidence for this pull request:** ${t.commits === 1 ? 'its one commit is' : `all ${plural(t.commits, 'commit')} are`} untracked (no paceflow note, git-ai note or trailer), so no AI share can be given.`
      : `**AI wrote ${percent(t.ai_share)} of the non-trivial lines this pull request adds** (${count(t.ai_lines)} of ${count(t.nontrivial_added_lines)}).`,
    '',
    `Coverage ${percent(t.coverage)}: ${count(t.tracked_commits)} of ${plural(t.commits, 'commit')} have attribution evidence` +
      ` · ${plural(t.heavy_ai_commits, 'heavy-AI commit')} · lines: AI ${count(t.ai_lines)}, non-AI ${count(t.nonai_lines)}, untracked ${count(t.untracked_lines)}`,
    '',
  );
  const w = pr.work;
  if (w.sessions > 0) {
    out.push(
      `How the AI work went: ${plural(w.sessions, 'session')} · ${plural(w.user_prompts, 'prompt')} · ${plural(w.rejected_edits, 'rejected edit')}` +
        ` · ${count(w.sessions_with_debug_loop)} with a repeated debug loop · ${count(w.sessions_with_error_paste)} with a pasted error`,
      '',
    );
  }
  const shown = pr.commits.slice(0, COMMIT_ROWS);
  out.push(
    markdownTable(
      [
        ['Commit', 'Subject', 'Non-trivial lines', 'AI lines', 'AI share', 'Source', 'Provider'],
        ...shown.map((c) => [
          commitCell(c.sha, context),
          escapeCell(c.subject),
          count(c.nontrivial_added_lines),
          count(c.ai_lines),
          c.attribution_coverage === 'untracked' ? 'untracked' : percent(c.ai_share),
          c.attribution_source ?? '—',
          c.providers ? escapeCell(c.providers) : '—',
        ]),
      ],
      { align: ['l', 'l', 'r', 'r', 'r', 'l', 'l'] },
    ),
    '',
  );
  if (pr.commits.length > shown.length) out.push(`_and ${plural(pr.commits.length - shown.length, 'more commit')}_`, '');
  return out;
}

/** The repository-wide figures and chart, collapsed: the pull request is what the reader came for. */
function repositorySection(figures: Figures): string[] {
  const r = figures.repository;
  if (!r) return [];
  const mainline = r.mainline_branch ? ` (mainline \`${r.mainline_branch.replace(/`/g, '')}\`)` : '';
  const gist =
    r.tracked_commits === 0
      ? `no attribution evidence in ${plural(r.commits, 'commit')}`
      : `AI wrote ${percent(r.ai_share)} of the non-trivial lines · coverage ${percent(r.coverage)} of ${plural(r.commits, 'commit')}`;
  const out = [`<details><summary>Repository${mainline}: ${gist}</summary>`, ''];
  const header = ['Commits', 'AI share', 'Coverage', 'Heavy-AI commits', 'Heavy-AI merged', 'Heavy-AI reverted later'];
  const row = [
    count(r.commits),
    percent(r.ai_share),
    percent(r.coverage),
    count(r.heavy_ai_commits),
    percent(r.heavy_ai_merged_rate),
    percent(r.heavy_ai_reverted_rate),
  ];
  if (r.churn_window_days !== null) {
    header.push(`AI churn (${r.churn_window_days} d)`, `Other churn (${r.churn_window_days} d)`);
    row.push(percent(r.ai_churn_rate), percent(r.nonai_churn_rate));
  }
  out.push(markdownTable([header, row], { align: header.map(() => 'r') }), '');
  if (r.churn_open_window_commits > 0)
    out.push(
      `<sub>${count(r.churn_open_window_commits)} mainline commits are still inside their ${r.churn_window_days}-day churn window and not in the rates yet.</sub>`,
      '',
    );
  const charted = figures.months.filter((m) => m.ai_share !== null);
  if (charted.length >= 2) {
    out.push(
      '```mermaid',
      'xychart-beta',
      '  title "AI share of non-trivial added lines, by month"',
      `  x-axis [${charted.map((m) => `"${m.month}"`).join(', ')}]`,
      '  y-axis "AI share (%)" 0 --> 100',
      `  bar [${charted.map((m) => ((m.ai_share ?? 0) * 100).toFixed(1)).join(', ')}]`,
      '```',
      '',
    );
  }
  out.push('</details>', '');
  return out;
}

/** The one report used for both the job summary and the PR comment. */
export function renderReport(figures: Figures, context: ReportContext): string {
  const out: string[] = [COMMENT_MARKER];
  const pr = figures.pullRequest;
  if (pr && context.pullRequest) {
    out.push(`## paceflow — AI in pull request #${context.pullRequest.number}`, '');
    out.push(...pullRequestSection(pr, context));
  } else {
    out.push('## paceflow — AI in this repository', '');
    if (figures.repository) out.push(`**${headline(figures.repository)}**`, '');
  }
  for (const notice of context.notices ?? []) out.push(`> ${escapeCell(notice)}`, '');
  out.push(...repositorySection(figures));
  out.push(
    `<sub>paceflow ${escapeCell(context.version)} · AI lines come from transcripts, paceflow or git-ai notes, or commit trailers; ` +
      'commits without any of them are untracked, never counted as human. Only counts leave the runner: no code, prompts or paths.</sub>',
  );
  return `${out.join('\n')}\n`;
}
