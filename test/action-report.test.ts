import { describe, expect, it } from 'vitest';
import { COMMENT_MARKER, findStickyComment } from '../src/action/comment.js';
import type { Figures, RepositorySummary } from '../src/report/figures.js';
import { escapeCell, renderReport } from '../src/action/markdown.js';
import { outputsOf } from '../src/action/main.js';
import { crossed, parseThresholds } from '../src/action/thresholds.js';

describe('escapeCell', () => {
  it.each([
    ['a | b', 'a \\| b'],
    ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['thanks @octocat and @org/team', 'thanks @\u200boctocat and @\u200borg/team'],
    ['use `rm -rf`', 'use \\`rm -rf\\`'],
    ['fixes #12', 'fixes #\u200b12'],
    ['[link](https://example.com)', '\\[link\\](https://example.com)'],
    ['two\nlines', 'two lines'],
    ['back\\slash', 'back\\\\slash'],
    ['a & b', 'a &amp; b'],
    ['plain subject', 'plain subject'],
  ])('%j → %j', (input, expected) => {
    expect(escapeCell(input)).toBe(expected);
  });
});

const summary: RepositorySummary = {
  repo_id: 'r',
  name: 'widgets',
  root_path: '/work/widgets',
  mainline_branch: 'main',
  is_shallow: 0,
  commits: 10,
  tracked_commits: 5,
  coverage: 0.5,
  nontrivial_added_lines: 400,
  ai_lines: 100,
  nonai_lines: 150,
  untracked_lines: 150,
  ai_share: 0.25,
  nonai_share: 0.375,
  untracked_share: 0.375,
  heavy_ai_commits: 2,
  heavy_ai_judged: 2,
  heavy_ai_merged: 2,
  heavy_ai_merged_rate: 1,
  heavy_ai_revert_judged: 2,
  heavy_ai_reverted: 1,
  heavy_ai_reverted_rate: 0.5,
  heavy_ai_churn_judged: 2,
  heavy_ai_churned: 1,
  churn_window_days: 14,
  ai_lines_churned: 4,
  ai_lines_reaching_mainline: 40,
  ai_churn_rate: 0.1,
  nonai_lines_churned: 5,
  nonai_lines_reaching_mainline: 100,
  nonai_churn_rate: 0.05,
  churn_open_window_commits: 3,
  sessions: 0,
  user_prompts: 0,
  sessions_with_debug_loop: 0,
  sessions_with_error_paste: 0,
  edits_applied: 0,
  edits_rejected: 0,
};

const month = (m: string, ai_share: number) => ({ month: m, commits: 1, nontrivial_added_lines: 10, ai_lines: 0, ai_share, coverage: 1 });

const figures = (months: Figures['months']): Figures => ({
  pullRequest: null,
  repository: summary,
  providers: [],
  months,
  sessionMonths: [],
});

describe('renderReport', () => {
  it('charts AI share by month with mermaid when there are two months or more', () => {
    const text = renderReport(figures([month('2026-09', 0.1), month('2026-10', 0.325)]), { version: '0.1.0' });
    expect(text).toContain(
      '```mermaid\nxychart-beta\n  title "AI share of non-trivial added lines, by month"\n  x-axis ["2026-09", "2026-10"]\n  y-axis "AI share (%)" 0 --> 100\n  bar [10.0, 32.5]\n```',
    );
    expect(text).toMatch(/\| +10 \| +25\.0% \| +50\.0% \| +2 \| +100\.0% \| +50\.0% \| +10\.0% \| +5\.0% \|/);
    expect(text).toContain('3 mainline commits are still inside their 14-day churn window');
  });

  it('leaves the chart out with one month of data', () => {
    expect(renderReport(figures([month('2026-10', 0.3)]), { version: '0.1.0' })).not.toContain('mermaid');
  });

  it('outputs are the repository figures outside a pull request', () => {
    expect(outputsOf(figures([]))).toEqual({
      ai_share: 0.25,
      heavy_ai_commits: 2,
      coverage: 0.5,
      reverted_later_rate: 0.5,
      churn_rate: 0.1,
    });
  });
});

describe('sticky comment lookup', () => {
  const comments = [
    { id: 1, body: `${COMMENT_MARKER} copied`, user: { login: 'someone' } },
    { id: 2, body: 'unrelated', user: { login: 'github-actions[bot]' } },
    { id: 3, body: `${COMMENT_MARKER}\nreport`, user: { login: 'github-actions[bot]' } },
  ];
  it('finds the marker written by the token’s own author only', () => {
    expect(findStickyComment(comments, 'github-actions[bot]')?.id).toBe(3);
    expect(findStickyComment(comments, 'paceflow-bot')).toBeUndefined();
  });
});

describe('thresholds', () => {
  it.each([
    ['churn_rate > 0.3', { churn_rate: 0.31 }, true],
    ['churn_rate > 0.3', { churn_rate: 0.3 }, false],
    ['churn_rate >= 0.3', { churn_rate: 0.3 }, true],
    ['coverage < 0.5', { coverage: 0.2 }, true],
    ['coverage <= 0.5', { coverage: 0.6 }, false],
    ['coverage < 0.5', { coverage: null }, false],
  ] as const)('%s with %j crossed: %s', (text, values, expected) => {
    const outputs = { ai_share: null, heavy_ai_commits: null, reverted_later_rate: null, churn_rate: null, coverage: null, ...values };
    expect(crossed(parseThresholds(text), outputs).length > 0).toBe(expected);
  });

  it('reads lists and refuses unknown outputs or bad syntax', () => {
    expect(parseThresholds('ai_share > 0.9,\nheavy_ai_commits >= 3').map((t) => t.name)).toEqual(['ai_share', 'heavy_ai_commits']);
    expect(() => parseThresholds('velocity > 2')).toThrow(/outputs: ai_share/);
    expect(() => parseThresholds('churn_rate is high')).toThrow(/write <output> <op> <number>/);
  });
});

describe('the pull request section', () => {
  const commit = (i: number) => ({
    position: i,
    sha: `${String(i).padStart(2, '0')}${'a'.repeat(38)}`,
    subject: `change ${i}`,
    committed_at: '2026-02-01T00:00:00Z',
    nontrivial_added_lines: 2,
    ai_lines: 0,
    ai_share: 0,
    heavy_ai: 0,
    attribution_coverage: 'untracked' as const,
    attribution_source: null,
    providers: null,
  });
  const pr = (n: number, sessions: number): Figures => ({
    ...figures([]),
    pullRequest: {
      commits: Array.from({ length: n }, (_, i) => commit(i)),
      totals: {
        commits: n,
        tracked_commits: 0,
        coverage: 0,
        nontrivial_added_lines: 2 * n,
        ai_lines: 0,
        nonai_lines: 0,
        untracked_lines: 2 * n,
        ai_share: 0,
        heavy_ai_commits: 0,
      },
      work: { sessions, user_prompts: 3, rejected_edits: 0, sessions_with_debug_loop: 0, sessions_with_error_paste: 0 },
    },
  });
  const context = {
    version: '0.1.0',
    pullRequest: { number: 5, base: 'b', head: 'h' },
    repositoryUrl: 'https://ghe.example.com/acme/widgets',
  };

  it.each([
    [30, 30, null],
    [31, 30, '_and 1 more commit_'],
    [45, 30, '_and 15 more commits_'],
  ])('%i commits: %i rows, then %j', (n, rows, more) => {
    const text = renderReport(pr(n, 0), context);
    expect(text.match(/^\| \[`\d\daaaaa`\]\(https:\/\/ghe\.example\.com\/acme\/widgets\/commit\/\d\da{38}\)/gm)).toHaveLength(rows);
    if (more) expect(text).toContain(more);
    else expect(text).not.toContain('more commit');
  });

  it('the AI work line appears only when the notes carry sessions', () => {
    expect(renderReport(pr(1, 0), context)).not.toContain('How the AI work went');
    expect(renderReport(pr(1, 2), context)).toContain('How the AI work went: 2 sessions · 3 prompts · 0 rejected edits');
  });
});
