import { describe, expect, it } from 'vitest';
import { type AttributionCommit, AttributionCommits } from '../src/builders/attribution-commits.js';

/** A sha of 40 hex digits from a number. */
const sha = (n: number) => n.toString(16).padStart(40, '0');

describe('AttributionCommits', () => {
  it('holds each commit once, and gives back its row as added', () => {
    const commits = new AttributionCommits();
    expect(commits.add(sha(1), '2024-01-02T03:04:05.000Z', null)).toBe(true);
    expect(commits.add(sha(2), '2024-01-02T03:04:05.000Z', 'claude')).toBe(true);
    // Asked twice (queued, and touching a written path): the first row stays.
    expect(commits.add(sha(1), '2030-01-01T00:00:00.000Z', 'codex')).toBe(false);
    expect(commits.size).toBe(2);
    expect(commits.row(0)).toEqual({ sha: sha(1), committed_at: '2024-01-02T03:04:05.000Z', ai_marker: null });
    expect(commits.row(1)).toEqual({ sha: sha(2), committed_at: '2024-01-02T03:04:05.000Z', ai_marker: 'claude' });
    expect(commits.has(sha(2))).toBe(true);
    expect(commits.has(sha(3))).toBe(false);
    expect(commits.indexOf(sha(3))).toBeUndefined();
  });

  // The order the replay hands writes out in: committed_at as text, then sha — as the rows'
  // sort over objects gave it.
  it.each([
    { name: 'shuffled times and ties on time', count: 5000, odd: false },
    { name: 'a few times not in the ISO form paceflow writes', count: 300, odd: true },
  ])('sorts into commit order, every commit found at its new place: $name', ({ count, odd }) => {
    let seed = 11;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const rows: AttributionCommit[] = Array.from({ length: count }, (_, i) => {
      const ms = Date.UTC(2020, 0, 1) + Math.floor(random() * 200) * 1000;
      const committed_at =
        odd && i % 37 === 0 ? (i % 74 === 0 ? 'not a time' : new Date(ms).toISOString().slice(0, 19)) : new Date(ms).toISOString();
      return { sha: sha(Math.floor(random() * 2 ** 40) * 4096 + i), committed_at, ai_marker: i % 9 === 0 ? `tool ${i}` : null };
    });
    const commits = new AttributionCommits();
    for (const r of rows) commits.add(r.sha, r.committed_at, r.ai_marker);
    commits.sort();
    const expected = [...rows].sort((x, y) =>
      x.committed_at < y.committed_at ? -1 : x.committed_at > y.committed_at ? 1 : x.sha < y.sha ? -1 : x.sha > y.sha ? 1 : 0,
    );
    expect(Array.from({ length: commits.size }, (_, i) => commits.row(i))).toEqual(expected);
    expect(commits.shas).toEqual(expected.map((r) => r.sha));
    for (const [i, r] of expected.entries()) expect(commits.indexOf(r.sha)).toBe(i);
  });
});
