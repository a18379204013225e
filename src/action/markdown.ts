import { markdownTable } from 'markdown-table';
import { COMMENT_MARKER } from './comment.js';
import type { Figures } from './figures.js';
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

export function percent(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : `${(value * 100).toFixed(1)}%`;
}

const count = (value: number | null | undefined) => (value === null || value === undefined ? '—' : formatCount(value));

export interface ReportContext {
  /** The pull request, when the run is for one. */
  pullRequest?: { number: number; base: string; head: string };
  /** Shown in the footer. */
  version: string;
  /** Lines to show above the figures (a shallow or partial history, notes not found …). */
  notices?: string[];
}

/** The one report used for both the job summary and the PR comment. */
export function renderReport(figures: Figures, context: ReportContext): string {
  const out: string[] = [COMMENT_MARKER];
  const pr = figures.pullRequest;
  if (pr && context.pullRequest) {
    const t = pr.totals;
    out.push(`## paceflow — AI in pull request #${context.pullRequest.number}`, '');
    out.push(
      t.commits === 0
        ? 'No non-merge commits with added lines in this pull request.'
        : `**AI share of the non-trivial lines this pull request adds: ${percent(t.ai_share)}** ` +
            `(${count(t.ai_lines)} of ${count(t.nontrivial_added_lines)} lines) · coverage ${percent(t.coverage)} of ${count(t.commits)} commits have attribution evidence · ` +
            `${count(t.heavy_ai_commits)} heavy-AI commits`,
      '',
    );
    if (pr.commits.length > 0) {
      out.push(
        markdownTable(
          [
            ['Commit', 'Subject', 'Non-trivial lines', 'AI lines', 'AI share', 'Source', 'Provider'],
            ...pr.commits.map((c) => [
              `\`${c.sha.slice(0, 7)}\``,
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
    }
  } else {
    out.push('## paceflow — AI in this repository', '');
  }
  for (const notice of context.notices ?? []) out.push(`> ${escapeCell(notice)}`, '');

  const r = figures.repository;
  if (r) {
    out.push(`### Repository${r.mainline_branch ? ` (mainline \`${r.mainline_branch.replace(/`/g, '')}\`)` : ''}`, '');
    const c = figures.churn;
    const header = ['Commits', 'AI share', 'Coverage', 'Heavy-AI commits', 'Heavy-AI merged', 'Heavy-AI reverted later'];
    const row = [
      count(r.commits),
      percent(r.ai_share),
      percent(r.coverage),
      count(r.heavy_ai_commits),
      percent(r.heavy_ai_merged_rate),
      percent(r.heavy_ai_reverted_rate),
    ];
    if (c) {
      header.push(`AI churn (${c.window_days} d)`, `Other churn (${c.window_days} d)`);
      row.push(percent(c.ai_churn_rate), percent(c.nonai_churn_rate));
    }
    out.push(markdownTable([header, row], { align: header.map(() => 'r') }), '');
    if (c && c.open_window_commits > 0)
      out.push(
        `<sub>${count(c.open_window_commits)} mainline commits are still inside their ${c.window_days}-day churn window and not in the rates yet.</sub>`,
        '',
      );
  }
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
  out.push(
    `<sub>paceflow ${escapeCell(context.version)} · AI lines come from transcripts, paceflow or git-ai notes, or commit trailers; ` +
      'commits without any of them are untracked, never counted as human. Only counts leave the runner: no code, prompts or paths.</sub>',
  );
  return `${out.join('\n')}\n`;
}
