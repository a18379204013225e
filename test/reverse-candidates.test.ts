import { describe, expect, it } from 'vitest';
import { mayUndo, reverseCandidates, type UndoKey } from '../src/builders/outcomes/reverse-candidates.js';

// Which mainline commits need a reversed patch-id: one another commit with the same paths and the
// opposite net lines (or a binary file's unknown count) may undo, landing no earlier.
describe('reverseCandidates', () => {
  const key = (paths: string, net: number | null): UndoKey => ({ paths, net });
  it.each([
    {
      case: 'a commit and its undo',
      commits: [
        ['c1', 'a', 3, 1],
        ['c2', 'a', -3, 2],
      ],
      reversed: ['c1'],
    },
    {
      case: 'the same paths, nets that do not cancel',
      commits: [
        ['c1', 'a', 3, 1],
        ['c2', 'a', 2, 2],
        ['c3', 'a', -1, 3],
      ],
      reversed: [],
    },
    {
      case: 'only one landing later can undo',
      commits: [
        ['c1', 'a', 3, 2],
        ['c2', 'a', -3, 1],
      ],
      reversed: ['c2'],
    },
    {
      case: 'nets of zero undo each other',
      commits: [
        ['c1', 'a', 0, 1],
        ['c2', 'a', 0, 2],
        ['c3', 'a', 0, 3],
      ],
      reversed: ['c1', 'c2'],
    },
    {
      case: 'a lone net of zero has nothing to undo it',
      commits: [
        ['c1', 'a', 0, 1],
        ['c2', 'a', 5, 2],
      ],
      reversed: [],
    },
    {
      case: 'ties in landing time keep every tied commit',
      commits: [
        ['c1', 'a', 2, 5],
        ['c2', 'a', -2, 5],
      ],
      reversed: ['c1', 'c2'],
    },
    {
      case: 'a binary file matches any net',
      commits: [
        ['c1', 'a', 4, 1],
        ['c2', 'a', null, 2],
        ['c3', 'a', null, 3],
      ],
      reversed: ['c1', 'c2'],
    },
    {
      case: 'other paths never',
      commits: [
        ['c1', 'a', 3, 1],
        ['c2', 'b', -3, 2],
      ],
      reversed: [],
    },
  ] satisfies { case: string; commits: [string, string, number | null, number][]; reversed: string[] }[])(
    '$case',
    ({ commits, reversed }) => {
      const keys = new Map(commits.map(([sha, paths, net]) => [sha, key(paths, net)]));
      const at = new Map(commits.map(([sha, , , landed]) => [sha, landed]));
      expect(
        reverseCandidates(
          keys,
          commits.map(([sha]) => sha),
          (sha) => at.get(sha)!,
        ),
      ).toEqual(reversed);
      // The pairwise rule says the same: a commit is reversed when another landing no earlier may undo it.
      const pairwise = commits
        .filter(([sha, paths, net, landed]) =>
          commits.some(([other, p, n, l]) => other !== sha && l >= landed && mayUndo(key(paths, net), key(p, n))),
        )
        .map(([sha]) => sha);
      expect(pairwise).toEqual(reversed);
    },
  );
});
