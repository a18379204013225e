import { formatNumber, formatPercent, plural } from './cells.js';
import { wrap } from './summary.js';
import { displayWidth, type TerminalStyle, truncate } from './terminal.js';

/**
 * `paceflow show <commit>` for a person: a headline (what share of the commit's non-trivial lines AI
 * wrote, from which evidence), the sessions behind it, then each added line grouped by file with a
 * mark saying who wrote it — code last, so the terminal cuts code, never the verdict.
 */

export interface ShownCommit {
  sha: string;
  subject: string;
  nontrivial_added_lines: number;
  ai_lines: number;
  ai_share: number | null;
  heavy_ai: number;
  attribution_coverage: string;
  attribution_source: string | null;
  ai_committed_by: string | null;
}

export interface ShownLine {
  path: string;
  /** ai, trivial, no-session, edited, or credited (a note's or marker's share, not this line). */
  kind: 'ai' | 'trivial' | 'no-session' | 'edited' | 'credited';
  edit: string | null;
  written_at: string | null;
  line: string;
}

export function showHeadline(c: ShownCommit): string {
  const parts = [
    c.attribution_coverage === 'untracked'
      ? `untracked: no transcript, note or trailer evidence for its ${plural(c.nontrivial_added_lines, 'non-trivial line')}`
      : `AI wrote ${formatPercent(c.ai_share)} of its non-trivial lines (${formatNumber(c.ai_lines)} of ${formatNumber(c.nontrivial_added_lines)})`,
  ];
  if (c.attribution_source) parts.push(`evidence: ${c.attribution_source}`);
  if (c.heavy_ai) parts.push('heavy-AI');
  if (c.ai_committed_by) parts.push(`committed by ${c.ai_committed_by} for a person`);
  return parts.join(' · ');
}

const MARKS: Record<ShownLine['kind'], string> = { ai: 'AI', credited: 'ai*', edited: '~', 'no-session': '?', trivial: '' };

export const SHOW_LEGEND =
  'AI written by a session · ai* credited by the commit’s note or marker (its share, not this line) · ~ not as a session wrote it · ? no session wrote this file · blank: trivial, not counted';

export function renderShowTerminal(
  c: ShownCommit,
  sessions: { provider: string; session_id: string; model: string | null; matched_lines: number; source: string }[],
  lines: ShownLine[],
  style: TerminalStyle,
): string {
  const out = [truncate(`${c.sha.slice(0, 7)}  ${c.subject}`, style.width), ...wrap(showHeadline(c), style.width), ''];
  if (sessions.length > 0) {
    out.push('Written by:');
    for (const s of sessions) {
      // The figures first: a narrow terminal cuts the session id, not the count.
      const who = [s.model ?? s.provider, s.session_id].filter(Boolean).join(' · ');
      out.push(truncate(`  ${plural(s.matched_lines, 'line')} (${s.source}) · ${who}`, style.width));
    }
    out.push('');
  }
  const details = lines.map((l) => [l.edit, l.written_at ? l.written_at.slice(0, 19).replace('T', ' ') : null].filter(Boolean).join(' · '));
  const detailWidth = Math.max(0, ...details.map(displayWidth));
  let path: string | null = null;
  lines.forEach((l, i) => {
    if (l.path !== path) {
      path = l.path;
      out.push(truncate(l.path, style.width));
    }
    const prefix = `  ${MARKS[l.kind].padEnd(3)}  ${details[i]!.padEnd(detailWidth)}${detailWidth > 0 ? '  ' : ''}`;
    out.push(truncate(`${prefix}${l.line}`, style.width).trimEnd());
  });
  if (lines.length === 0) out.push('No added lines.');
  out.push('', ...wrap(SHOW_LEGEND, style.width, ''));
  return `${out.join('\n')}\n`;
}
