import { describe, expect, it } from 'vitest';
import { mayUndo, reverseCandidates, type UndoKey } from '../src/builders/outcomes/reverse-candidates.js';

// Which mainline commits need a reversed patch-id: one another commit with the same paths and the
// opposite net lines (or a binary file's unknown count) may undo, landing no earlier.
describe('reverseCandidates', () => {
  const key = (paths: string, net: number | null, balance: number | null): UndoKey => ({ paths, net, balance });
  // Two balances that cancel, and one that cancels neither.
  const B = 12_345;
  const minusB = 2 ** 32 - B;
  it.each([
    {
      case: 'a commit and its undo',
      commits: [
        ['c1', 'a', 3, null, 1],
        ['c2', 'a', -3, null, 2],
      ],
      reversed: ['c1'],
    },
    {
      case: 'the same paths, nets that do not cancel',
      commits: [
        ['c1', 'a', 3, null, 1],
        ['c2', 'a', 2, null, 2],
        ['c3', 'a', -1, null, 3],
      ],
      reversed: [],
    },
    {
      case: 'only one landing later can undo',
      commits: [
        ['c1', 'a', 3, null, 2],
        ['c2', 'a', -3, null, 1],
      ],
      reversed: ['c2'],
    },
    {
      case: 'nets of zero undo each other',
      commits: [
        ['c1', 'a', 0, null, 1],
        ['c2', 'a', 0, null, 2],
        ['c3', 'a', 0, null, 3],
      ],
      reversed: ['c1', 'c2'],
    },
    {
      case: 'a lone net of zero has nothing to undo it',
      commits: [
        ['c1', 'a', 0, null, 1],
        ['c2', 'a', 5, null, 2],
      ],
      reversed: [],
    },
    {
      case: 'ties in landing time keep every tied commit',
      commits: [
        ['c1', 'a', 2, null, 5],
        ['c2', 'a', -2, null, 5],
      ],
      reversed: ['c1', 'c2'],
    },
    {
      case: 'a binary file matches any net',
      commits: [
        ['c1', 'a', 4, null, 1],
        ['c2', 'a', null, null, 2],
        ['c3', 'a', null, null, 3],
      ],
      reversed: ['c1', 'c2'],
    },
    {
      case: 'other paths never',
      commits: [
        ['c1', 'a', 3, null, 1],
        ['c2', 'b', -3, null, 2],
      ],
      reversed: [],
    },
    {
      case: 'opposite nets whose balances do not cancel',
      commits: [
        ['c1', 'a', 3, B, 1],
        ['c2', 'a', -3, B, 2],
      ],
      reversed: [],
    },
    {
      case: 'opposite nets and balances',
      commits: [
        ['c1', 'a', 3, B, 1],
        ['c2', 'a', -3, 777, 2],
        ['c3', 'a', -3, minusB, 3],
      ],
      reversed: ['c1'],
    },
    {
      case: 'a balance of zero cancels itself',
      commits: [
        ['c1', 'a', 0, 0, 1],
        ['c2', 'a', 0, 0, 2],
        ['c3', 'a', 0, 5, 3],
      ],
      reversed: ['c1'],
    },
    {
      case: 'an unknown balance matches any',
      commits: [
        ['c1', 'a', 3, B, 1],
        ['c2', 'a', -3, null, 2],
        ['c3', 'a', 3, 99, 3],
      ],
      reversed: ['c1', 'c2'],
    },
    {
      case: 'a binary file with a balance still needs it to cancel',
      commits: [
        ['c1', 'a', 4, B, 1],
        ['c2', 'a', null, 8, 2],
        ['c3', 'a', null, minusB, 3],
      ],
      reversed: ['c1'],
    },
    {
      case: 'nothing known matches anything later',
      commits: [
        ['c1', 'a', 4, B, 1],
        ['c2', 'a', null, null, 2],
        ['c3', 'a', 7, 9, 0],
      ],
      reversed: ['c1', 'c3'],
    },
    {
      case: 'an unknown balance alone in its net',
      commits: [
        ['c1', 'a', 2, null, 3],
        ['c2', 'a', -2, B, 2],
        ['c3', 'a', -2, 4, 4],
      ],
      reversed: ['c1', 'c2'],
    },
  ] satisfies { case: string; commits: [string, string, number | null, number | null, number][]; reversed: string[] }[])(
    '$case',
    ({ commits, reversed }) => {
      const keys = new Map(commits.map(([sha, paths, net, balance]) => [sha, key(paths, net, balance)]));
      const at = new Map(commits.map(([sha, , , , landed]) => [sha, landed]));
      expect(
        reverseCandidates(
          keys,
          commits.map(([sha]) => sha),
          (sha) => at.get(sha)!,
        ),
      ).toEqual(reversed);
      // The pairwise rule says the same: a commit is reversed when another landing no earlier may undo it.
      const pairwise = commits
        .filter(([sha, paths, net, balance, landed]) =>
          commits.some(([other, p, n, b, l]) => other !== sha && l >= landed && mayUndo(key(paths, net, balance), key(p, n, b))),
        )
        .map(([sha]) => sha);
      expect(pairwise).toEqual(reversed);
    },
  );
});
