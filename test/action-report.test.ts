import { describe, expect, it } from 'vitest';
import { COMMENT_MARKER, findStickyComment } from '../src/action/comment.js';
import type { Figures } from '../src/action/figures.js';
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

const figures = (months: Figures['months']): Figures => ({
  pullRequest: null,
  repository: {
    mainline_branch: 'main',
    commits: 10,
    ai_share: 0.25,
    coverage: 0.5,
    heavy_ai_commits: 2,
    heavy_ai_merged_rate: 1,
    heavy_ai_reverted_rate: 0.5,
    merged_commits: 8,
  },
  churn: {
    window_days: 14,
    ai_lines_reaching_mainline: 40,
    ai_lines_churned: 4,
    ai_churn_rate: 0.1,
    nonai_lines_reaching_mainline: 100,
    nonai_lines_churned: 5,
    nonai_churn_rate: 0.05,
    open_window_commits: 3,
  },
  months,
});

describe('renderReport', () => {
  it('charts AI share by month with mermaid when there are two months or more', () => {
    const text = renderReport(
      figures([
        { month: '2026-09', ai_share: 0.1, coverage: 1 },
        { month: '2026-10', ai_share: 0.325, coverage: 1 },
      ]),
      { version: '0.1.0' },
    );
    expect(text).toContain(
      '```mermaid\nxychart-beta\n  title "AI share of non-trivial added lines, by month"\n  x-axis ["2026-09", "2026-10"]\n  y-axis "AI share (%)" 0 --> 100\n  bar [10.0, 32.5]\n```',
    );
    expect(text).toMatch(/\| +10 \| +25\.0% \| +50\.0% \| +2 \| +100\.0% \| +50\.0% \| +10\.0% \| +5\.0% \|/);
    expect(text).toContain('3 mainline commits are still inside their 14-day churn window');
  });

  it('leaves the chart out with one month of data', () => {
    expect(renderReport(figures([{ month: '2026-10', ai_share: 0.3, coverage: 1 }]), { version: '0.1.0' })).not.toContain('mermaid');
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
