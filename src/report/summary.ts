import { homedir } from 'node:os';
import { formatNumber, formatPercent, plural } from './cells.js';
import type { Figures, ProviderShare, RepositorySummary } from './figures.js';
import { displayWidth, type TerminalStyle, truncate } from './terminal.js';

/**
 * The summary a report opens with, as sentences a person reads first (git-ai's one headline line,
 * then the detail): every number is a column of view_repository_summary or view_repository_ai_share,
 * formatted here and nothing more. The terminal and Markdown renderers share these sentences.
 */

const n = formatNumber;
const pct = formatPercent;

/** A path as a person knows it: the home folder as ~ (never a home path in what may be pasted). */
export function displayPath(path: string, home = homedir()): string {
  return home && (path === home || path.startsWith(`${home}/`)) ? `~${path.slice(home.length)}` : path;
}

export function headline(r: RepositorySummary): string {
  if (r.commits === 0) return 'No commits with added lines recorded yet.';
  if (r.tracked_commits === 0)
    return `No attribution evidence yet: ${r.commits === 1 ? 'the one commit is' : `all ${plural(r.commits, 'commit')} are`} untracked (no transcript, note or trailer), so no AI share can be given.`;
  return (
    `AI wrote ${pct(r.ai_share)} of the non-trivial lines (${n(r.ai_lines)} of ${n(r.nontrivial_added_lines)}) · ` +
    `coverage ${pct(r.coverage)} (${n(r.tracked_commits)} of ${plural(r.commits, 'commit')})`
  );
}

export function splitLegend(r: Pick<RepositorySummary, 'ai_share' | 'nonai_share' | 'untracked_share'>): string {
  return `AI ${pct(r.ai_share)} · non-AI ${pct(r.nonai_share)} · untracked ${pct(r.untracked_share)}`;
}

export function providerLabel(p: ProviderShare): string {
  return `${p.provider}${p.model ? ` · ${p.model}` : ''} (${p.source})`;
}

export function providerDetail(p: ProviderShare): string {
  const sessions = p.sessions > 0 ? ` · ${plural(p.sessions, 'session')}` : '';
  return `${plural(p.ai_lines, 'line')} (${pct(p.share_of_repo)}) in ${plural(p.commits, 'commit')}${sessions}`;
}

export function heavySentence(r: RepositorySummary): string {
  if (r.heavy_ai_commits === 0) return 'Heavy-AI commits: none.';
  return (
    `Heavy-AI commits: ${n(r.heavy_ai_commits)} · reached mainline ${n(r.heavy_ai_merged)} of ${n(r.heavy_ai_judged)} old enough to judge` +
    ` (${pct(r.heavy_ai_merged_rate)}) · reverted later ${n(r.heavy_ai_reverted)} of ${n(r.heavy_ai_revert_judged)} (${pct(r.heavy_ai_reverted_rate)})` +
    ` · churned ${n(r.heavy_ai_churned)} of ${n(r.heavy_ai_churn_judged)}`
  );
}

export function churnSentence(r: RepositorySummary): string | null {
  if (r.churn_window_days === null || r.ai_lines_reaching_mainline + r.nonai_lines_reaching_mainline === 0) return null;
  return (
    `Churn within ${r.churn_window_days} days on mainline: AI lines ${pct(r.ai_churn_rate)} (${n(r.ai_lines_churned)} of ${n(r.ai_lines_reaching_mainline)})` +
    ` · other lines ${pct(r.nonai_churn_rate)} (${n(r.nonai_lines_churned)} of ${n(r.nonai_lines_reaching_mainline)})`
  );
}

export function sessionSentence(r: RepositorySummary): string {
  if (r.sessions === 0) return 'Sessions: none recorded in this repository.';
  const edits = r.edits_applied + r.edits_rejected;
  return (
    `Sessions: ${n(r.sessions)} · ${plural(r.user_prompts, 'prompt')} · ${n(r.sessions_with_debug_loop)} with a repeated debug loop` +
    ` · ${n(r.sessions_with_error_paste)} with a pasted error · ${n(r.edits_rejected)} of ${plural(edits, 'edit')} rejected`
  );
}

export const NEXT_STEPS = 'Next: paceflow report --all (every view) · --view <name> · paceflow show <commit> · -f json';

/** The three-way split as a bar: AI, non-AI, untracked (largest remainders, so it always fills). */
export function splitBar(
  r: Pick<RepositorySummary, 'ai_lines' | 'nonai_lines' | 'untracked_lines'>,
  width: number,
  style: TerminalStyle,
): string {
  const parts = [r.ai_lines, r.nonai_lines, r.untracked_lines];
  const total = parts.reduce((a, b) => a + b, 0);
  if (total <= 0) return '';
  const exact = parts.map((p) => (p / total) * width);
  const cells = exact.map(Math.floor);
  const order = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0]);
  for (let k = 0; cells.reduce((a, b) => a + b, 0) < width; k++) cells[order[k % 3]![1]]!++;
  const glyphs = style.unicode ? ['█', '▒', '░'] : ['#', '=', '.'];
  const colors = ['\x1b[35m', '\x1b[32m', '\x1b[90m'];
  return cells
    .map((c, i) => {
      const text = glyphs[i]!.repeat(c);
      return style.color && c > 0 ? `${colors[i]}${text}\x1b[0m` : text;
    })
    .join('');
}

const bold = (text: string, style: TerminalStyle) => (style.color ? `\x1b[1m${text}\x1b[0m` : text);

/**
 * Wraps a sentence to the width, continuing lines indented: between its `·`-separated parts where
 * it can, between words where a part alone is too long.
 */
export function wrap(text: string, width: number, indent = '  '): string[] {
  if (displayWidth(text) <= width) return [text];
  const lines: string[] = [];
  let current = '';
  const add = (piece: string, joiner: string) => {
    const next = current ? `${current}${joiner}${piece}` : piece;
    if (current && displayWidth(next) > width) {
      lines.push(current);
      current = `${indent}${piece}`;
    } else current = next;
  };
  for (const part of text.split(' · ')) {
    const joiner = current ? ' · ' : '';
    if (displayWidth(`${current}${joiner}${part}`) <= width || displayWidth(`${indent}${part}`) <= width) add(part, ' · ');
    else for (const [i, word] of part.split(' ').entries()) add(word, i === 0 ? joiner || ' ' : ' ');
  }
  lines.push(current);
  return lines;
}

/** The terminal summary of one repository. */
export function renderTerminalSummary(figures: Figures, style: TerminalStyle): string {
  const r = figures.repository;
  if (!r) return 'No commits recorded for this repository yet.';
  const out: string[] = [];
  // A warehouse keeps the folder name alone (no path leaves a machine): then there is no path to show.
  const path = r.root_path === r.name ? [] : [displayPath(r.root_path)];
  const where = [...path, r.mainline_branch ? `mainline ${r.mainline_branch}` : 'no mainline'].join(' · ');
  out.push(...wrap(`${bold(`paceflow · ${r.name}`, style)} · ${where}`, style.width), '');
  if (r.is_shallow) out.push('! The history is shallow: counts are partial (git fetch --unshallow).', '');
  out.push(...wrap(headline(r), style.width).map((l, i) => (i === 0 ? bold(l, style) : l)));
  if (r.nontrivial_added_lines > 0) {
    const barWidth = Math.max(10, Math.min(40, style.width - 48));
    out.push(`  ${splitBar(r, barWidth, style)}  ${splitLegend(r)}`);
  }
  if (figures.providers.length > 0) {
    out.push('', 'By provider and model:');
    const labels = figures.providers.map((p) => truncate(providerLabel(p), Math.max(20, style.width - 44)));
    const labelWidth = Math.max(...labels.map(displayWidth));
    figures.providers.forEach((p, i) => {
      out.push(`  ${labels[i]}${' '.repeat(labelWidth - displayWidth(labels[i]!))}  ${providerDetail(p)}`);
    });
  }
  out.push('');
  for (const sentence of [heavySentence(r), churnSentence(r), sessionSentence(r)]) if (sentence) out.push(...wrap(sentence, style.width));
  return out.join('\n');
}

/** The Markdown summary of one repository (report -f md, the HTML page's lead). */
export function renderMarkdownSummary(figures: Figures): string {
  const r = figures.repository;
  if (!r) return '_No commits recorded for this repository yet._';
  const out: string[] = [`## paceflow · ${r.name}`, ''];
  out.push(
    `${displayPath(r.root_path)} · ${r.mainline_branch ? `mainline \`${r.mainline_branch.replace(/`/g, '')}\`` : 'no mainline'}`,
    '',
  );
  if (r.is_shallow) out.push('> The history is shallow: counts are partial.', '');
  out.push(`**${headline(r)}**`, '');
  if (r.nontrivial_added_lines > 0) out.push(`Lines: ${splitLegend(r)}`, '');
  if (figures.providers.length > 0) {
    out.push('By provider and model:', '');
    for (const p of figures.providers) out.push(`- ${providerLabel(p)}: ${providerDetail(p)}`);
    out.push('');
  }
  for (const sentence of [heavySentence(r), churnSentence(r), sessionSentence(r)]) if (sentence) out.push(`- ${sentence}`);
  return out.join('\n');
}
