import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ingest } from '../src/cli/commands/ingest.js';
import { openDatabase } from '../src/db/open.js';
import { TempRepo, cleanupTempDirs, tempDir } from './helpers/git-repo.js';

afterAll(cleanupTempDirs);

interface Outcome {
  merged_to_mainline: number | null;
  mainline_via: string | null;
  mainline_sha: string | null;
  reached_mainline_at: string | null;
  reverted_later: number | null;
  reverted_by: string | null;
  revert_kind: string | null;
}

async function outcomes(repo: TempRepo): Promise<(sha: string) => Outcome> {
  const db = join(tempDir('paceflow-db-'), 'paceflow.db');
  await ingest({ cwd: repo.dir, db, sessions: false, notes: false });
  const d = openDatabase(db);
  const rows = new Map(
    d
      .prepare(
        `SELECT sha, merged_to_mainline, mainline_via, mainline_sha, reached_mainline_at, reverted_later, reverted_by, revert_kind FROM event_commit_outcomes`,
      )
      .all<Outcome & { sha: string }>()
      .map(({ sha, ...rest }) => [sha, rest]),
  );
  d.close();
  return (sha) => {
    const row = rows.get(sha);
    if (!row) throw new Error(`no outcome for ${sha}`);
    return row;
  };
}

const at = (repo: TempRepo, sha: string) => new Date(Number(repo.git('log', '-1', '--format=%ct', sha)) * 1000).toISOString();
const lines = (tag: string, n = 5) =>
  `${Array.from({ length: n }, (_, i) => `export const ${tag}${i} = compute${tag}(${i});`).join('\n')}\n`;

/**
 * Twenty lines; `inserted`: two more in the middle; `edited`: the lines two above and two below
 * them changed (within a diff's three lines of context, too far apart to conflict in a merge).
 */
const middleFile = (inserted: boolean, edited: boolean) =>
  `${Array.from({ length: 20 }, (_, i) => [
    ...(inserted && i === 10 ? ['export const added = inTheMiddle();', 'export const alsoAdded = inTheMiddle(2);'] : []),
    edited && (i === 8 || i === 12) ? `export const near${i} = editedAround();` : `export const line${i} = original(${i});`,
  ])
    .flat()
    .join('\n')}\n`;

function base(): TempRepo {
  const repo = TempRepo.create();
  repo.write('README.md', '# project readme\n').commit('root');
  return repo;
}

/** A topic commit, and its cherry-picked copy on main after main moved on. */
function cherryPicked(): { repo: TempRepo; c: string; copy: string } {
  const repo = base();
  repo.git('checkout', '-q', '-b', 'topic');
  const c = repo.write('a.ts', lines('a')).commit('topic work');
  repo.git('checkout', '-q', 'main');
  repo.write('m.ts', lines('m')).commit('main moved on');
  repo.at().git('cherry-pick', c);
  return { repo, c, copy: repo.git('rev-parse', 'HEAD') };
}

describe('reached mainline', () => {
  it('merge (no fast-forward): reached when the merge landed', async () => {
    const repo = base();
    repo.git('checkout', '-q', '-b', 'topic');
    const c = repo.write('a.ts', lines('a')).commit('topic work');
    repo.git('checkout', '-q', 'main');
    repo.at().git('merge', '-q', '--no-ff', '-m', 'merge topic', 'topic');
    const merge = repo.git('rev-parse', 'HEAD');
    const o = await outcomes(repo);
    expect(o(c)).toMatchObject({ merged_to_mainline: 1, mainline_via: 'ancestor', reached_mainline_at: at(repo, merge) });
  });

  it('fast-forward: reached at its own time', async () => {
    const repo = base();
    repo.git('checkout', '-q', '-b', 'topic');
    const c = repo.write('a.ts', lines('a')).commit('topic work');
    repo.git('checkout', '-q', 'main');
    repo.git('merge', '-q', '--ff-only', 'topic');
    expect((await outcomes(repo))(c)).toMatchObject({ merged_to_mainline: 1, mainline_via: 'ancestor', reached_mainline_at: at(repo, c) });
  });

  it('squash merge (branch kept): the branch’s commits reach mainline as a squash', async () => {
    const repo = base();
    repo.git('checkout', '-q', '-b', 'topic');
    const one = repo.write('a.ts', lines('a')).commit('part one');
    const two = repo.write('b.ts', lines('b')).commit('part two');
    repo.git('checkout', '-q', 'main');
    repo.git('merge', '-q', '--squash', 'topic');
    const squash = repo.commit('Topic (#3)');
    const o = await outcomes(repo);
    expect(o(one)).toMatchObject({
      merged_to_mainline: 1,
      mainline_via: 'squash',
      mainline_sha: squash,
      reached_mainline_at: at(repo, squash),
    });
    expect(o(two)).toMatchObject({ merged_to_mainline: 1, mainline_via: 'squash' });
  });

  it('squash through a pull-request ref whose number a mainline subject names', async () => {
    const repo = base();
    repo.git('checkout', '-q', '-b', 'topic');
    const c = repo.write('a.ts', lines('a')).commit('pr work');
    repo.git('update-ref', 'refs/remotes/origin/pr/7', c);
    repo.git('checkout', '-q', 'main');
    repo.git('branch', '-q', '-D', 'topic');
    // Reviewed and changed before landing: no patch-id match, but the PR number says it landed.
    const landed = repo.write('a.ts', `${lines('a', 2)}export const reviewed = afterReview();\n`).commit('Add a (#7)');
    expect((await outcomes(repo))(c)).toMatchObject({
      merged_to_mainline: 1,
      mainline_via: 'squash',
      reached_mainline_at: at(repo, landed),
    });
  });

  it('squash through a pull-request head under refs/pull/N/head, as GitHub lays them out; refs/pull/N/merge is not read', async () => {
    const repo = base();
    repo.git('checkout', '-q', '-b', 'topic');
    const c = repo.write('a.ts', lines('a')).commit('pr work');
    repo.git('update-ref', 'refs/pull/12/head', c);
    repo.git('checkout', '-q', 'main');
    repo.git('branch', '-q', '-D', 'topic');
    const landed = repo.write('a.ts', `${lines('a', 2)}export const reviewed = afterReview();\n`).commit('Add a (#12)');
    // GitHub's trial merge of the pull request into main: not history anyone wrote.
    const trial = repo
      .gitRaw(['commit-tree', `${c}^{tree}`, '-p', landed, '-p', c, '-m', 'Merge c into main'], '')
      .toString()
      .trim();
    repo.git('update-ref', 'refs/pull/12/merge', trial);
    const o = await outcomes(repo);
    expect(o(c)).toMatchObject({ merged_to_mainline: 1, mainline_via: 'squash', mainline_sha: landed });
    expect(() => o(trial)).toThrow(/no outcome/);
  });

  it('rebase merge and cherry-pick: the copies’ patch-id', async () => {
    const { repo, c, copy } = cherryPicked();
    expect(copy).not.toBe(c);
    expect((await outcomes(repo))(c)).toMatchObject({
      merged_to_mainline: 1,
      mainline_via: 'patch-id',
      reached_mainline_at: at(repo, copy),
    });
  });

  it('a cherry-pick onto surroundings mainline changed: still the copy’s patch-id (an id holds no context)', async () => {
    const repo = base();
    repo.write('s.ts', middleFile(false, false)).commit('the file');
    repo.git('checkout', '-q', '-b', 'topic');
    const c = repo.write('s.ts', middleFile(true, false)).commit('topic inserts two lines');
    repo.git('checkout', '-q', 'main');
    // Two lines of what would be the insertion's context change on main; the pick still applies.
    repo.write('s.ts', middleFile(false, true)).commit('main edits around');
    repo.at().git('cherry-pick', c);
    const copy = repo.git('rev-parse', 'HEAD');
    // The same lines added, among different context.
    const diff = (sha: string, start: string) =>
      repo
        .git('show', sha, '--format=', '-U3')
        .split('\n')
        .filter((l) => l.startsWith(start));
    expect(diff(copy, '+')).toEqual(diff(c, '+'));
    expect(diff(copy, ' ')).not.toEqual(diff(c, ' '));
    expect((await outcomes(repo))(c)).toMatchObject({ merged_to_mainline: 1, mainline_via: 'patch-id', mainline_sha: copy });
  });

  it('content: most of the lines are on mainline though the diffs differ', async () => {
    const repo = base();
    repo.git('checkout', '-q', '-b', 'topic');
    const c = repo.write('a.ts', lines('a', 5)).commit('topic work');
    repo.git('checkout', '-q', 'main');
    repo.write('a.ts', `export const header = first();\n${lines('a', 5)}export const extra = more();\n`).commit('rewritten by hand');
    repo.git('branch', '-q', '-D', 'topic');
    repo.git('update-ref', 'refs/heads/keep', c); // keep it reachable, unmerged by ancestry
    expect((await outcomes(repo))(c)).toMatchObject({ merged_to_mainline: 1, mainline_via: 'content' });
  });

  it('an unmerged branch stays unmerged', async () => {
    const repo = base();
    repo.git('checkout', '-q', '-b', 'topic');
    const c = repo.write('a.ts', lines('a')).commit('not merged');
    repo.git('checkout', '-q', 'main');
    expect((await outcomes(repo))(c)).toMatchObject({ merged_to_mainline: 0, mainline_via: null, reverted_later: null });
  });
});

describe('reverted later', () => {
  it('git revert, and a revert of the revert (even chain: not reverted)', async () => {
    const repo = base();
    const c = repo.write('a.ts', lines('a')).commit('feature');
    repo.at().git('revert', '--no-edit', c);
    const r1 = repo.git('rev-parse', 'HEAD');
    let o = await outcomes(repo);
    expect(o(c)).toMatchObject({ reverted_later: 1, reverted_by: r1, revert_kind: 'message' });
    repo.at().git('revert', '--no-edit', r1);
    const r2 = repo.git('rev-parse', 'HEAD');
    o = await outcomes(repo);
    expect(o(c)).toMatchObject({ reverted_later: 0, reverted_by: null });
    expect(o(r1)).toMatchObject({ reverted_later: 1, reverted_by: r2 });
  });

  it('an inverted diff without the message is a revert too', async () => {
    const repo = base();
    const c = repo.write('a.ts', lines('a')).commit('feature');
    repo.git('rm', '-q', 'a.ts');
    const undo = repo.commit('cleanup');
    expect((await outcomes(repo))(c)).toMatchObject({ reverted_later: 1, reverted_by: undo, revert_kind: 'diff-inversion' });
  });

  // Undone by hand, each shape of change: only commits that change the same paths have their
  // diff reversed (reverse-candidates.ts), so each must still be found — by a whole build, and by
  // a build after mainline moved on to the undo (the undone commit's reversed id computed then).
  const undoneByHand: [string, (repo: TempRepo) => { c: string; undo: string }][] = [
    [
      'an edit',
      (repo) => {
        repo.write('a.ts', lines('a'));
        repo.commit('a');
        const c = repo.write('a.ts', `${lines('a')}${lines('more')}`).commit('more');
        return { c, undo: repo.write('a.ts', lines('a')).commit('less') };
      },
    ],
    [
      'a rename with edits',
      (repo) => {
        repo.write('a.ts', lines('a', 12)).commit('a');
        repo.git('mv', 'a.ts', 'b.ts');
        const c = repo.write('b.ts', `${lines('a', 12)}export const renamed = true;\n`).commit('move');
        repo.git('mv', 'b.ts', 'a.ts');
        return { c, undo: repo.write('a.ts', lines('a', 12)).commit('move back') };
      },
    ],
    [
      'a binary file',
      (repo) => {
        repo.write('logo.bin', Buffer.from([0, 1, 2, 3, 0, 5])).commit('logo');
        const c = repo.write('logo.bin', Buffer.from([0, 9, 8, 7, 0, 5])).commit('new logo');
        return { c, undo: repo.write('logo.bin', Buffer.from([0, 1, 2, 3, 0, 5])).commit('old logo') };
      },
    ],
    [
      'an edit with a mode change',
      (repo) => {
        repo.write('run.sh', lines('s')).commit('script');
        repo.write('run.sh', `${lines('s')}${lines('t')}`);
        chmodSync(join(repo.dir, 'run.sh'), 0o755);
        const c = repo.commit('runnable');
        repo.write('run.sh', lines('s'));
        chmodSync(join(repo.dir, 'run.sh'), 0o644);
        return { c, undo: repo.commit('not runnable') };
      },
    ],
    [
      // git aligns the two directions differently here: c adds a, a, a, b and removes b, while
      // the undo (git's diff of the same two files the other way round) removes a four times and
      // adds it back once — the undo's lines are not c's turned round, its line balance cancels c's.
      'a diff git aligns differently the other way round',
      (repo) => {
        repo.write('a.txt', 'c\nb\nb\na\n').commit('letters');
        const c = repo.write('a.txt', 'a\na\nc\na\nb\na\nb\n').commit('more letters');
        return { c, undo: repo.write('a.txt', 'c\nb\nb\na\n').commit('fewer letters') };
      },
    ],
    [
      // patch-id drops whitespace: an undo that spaces the old line differently is the same diff.
      'an undo spaced differently',
      (repo) => {
        repo.write('a.py', 'x = 1\ny = 2\nz = 3\n').commit('values');
        const c = repo.write('a.py', 'x = 1\ny = 20\nz = 3\n').commit('bigger y');
        return { c, undo: repo.write('a.py', 'x = 1\ny=2\nz = 3\n').commit('y back') };
      },
    ],
    [
      // As "Retire rabinpoly fingerprinting code" undid fd2bbdd2 in git's own history: the lines
      // around the ones c added changed in between, so only an id without context finds the undo.
      'an undo after the lines around changed',
      (repo) => {
        repo.write('s.ts', middleFile(false, false)).commit('the file');
        const c = repo.write('s.ts', middleFile(true, false)).commit('two lines');
        repo.write('s.ts', middleFile(true, true)).commit('lines around them edited');
        return { c, undo: repo.write('s.ts', middleFile(false, true)).commit('the two lines go') };
      },
    ],
  ];
  it.each(undoneByHand)('an inverted diff without the message: %s', async (_, make) => {
    const repo = base();
    const { c, undo } = make(repo);
    expect((await outcomes(repo))(c)).toMatchObject({ reverted_later: 1, reverted_by: undo, revert_kind: 'diff-inversion' });
    // Built before the undo (or before both), then after it: the build after mainline moved on
    // finds it too.
    repo.git('branch', 'undo', undo);
    for (const back of ['~1', '~2']) {
      repo.git('reset', '-q', '--hard', `${undo}${back}`);
      const db = join(tempDir('paceflow-db-'), 'paceflow.db');
      await ingest({ cwd: repo.dir, db, sessions: false, notes: false });
      repo.git('merge', '-q', '--ff-only', 'undo');
      await ingest({ cwd: repo.dir, db, sessions: false, notes: false });
      const d = openDatabase(db);
      expect(d.prepare(`SELECT reverted_by, revert_kind FROM event_commit_outcomes WHERE sha = ?`).get([c]), back).toEqual({
        reverted_by: undo,
        revert_kind: 'diff-inversion',
      });
      d.close();
    }
  });

  it('an undo of a commit recorded before line balances (sql/026) is found: an unknown balance matches any', async () => {
    const repo = base();
    repo.write('a.ts', lines('a')).commit('a');
    const c = repo.write('a.ts', `${lines('a')}${lines('more')}`).commit('more');
    repo.write('b.ts', lines('b')).commit('unrelated');
    const db = join(tempDir('paceflow-db-'), 'paceflow.db');
    await ingest({ cwd: repo.dir, db, sessions: false, notes: false });
    // What an older paceflow recorded: no balances.
    const d = openDatabase(db);
    d.exec(`UPDATE metadata_commits SET line_balance = NULL`);
    d.close();
    const undo = repo.write('a.ts', lines('a')).commit('less');
    await ingest({ cwd: repo.dir, db, sessions: false, notes: false });
    const after = openDatabase(db);
    expect(after.prepare(`SELECT line_balance IS NOT NULL AS known FROM metadata_commits WHERE sha = ?`).get([undo])).toEqual({ known: 1 });
    expect(after.prepare(`SELECT reverted_by, revert_kind FROM event_commit_outcomes WHERE sha = ?`).get([c])).toEqual({
      reverted_by: undo,
      revert_kind: 'diff-inversion',
    });
    after.close();
  });

  it('a revert line quoted in a squash body reverts nothing', async () => {
    const repo = base();
    const c = repo.write('a.ts', lines('a')).commit('feature');
    repo.write('b.ts', lines('b')).commit(`Big squash (#20)\n\n* part one\n\n* Revert "something"\n\nThis reverts commit ${c}.`);
    expect((await outcomes(repo))(c)).toMatchObject({ merged_to_mainline: 1, reverted_later: 0 });
  });

  it('a revert of a branch commit counts against its mainline copy', async () => {
    const { repo, c, copy } = cherryPicked();
    repo.at().gitRaw(['revert', '--no-edit', copy]);
    const revert = repo.git('rev-parse', 'HEAD');
    const o = await outcomes(repo);
    expect(o(c)).toMatchObject({ merged_to_mainline: 1, mainline_via: 'patch-id', reverted_later: 1, reverted_by: revert });
  });
});

describe('incremental outcomes', () => {
  it('a re-run with nothing new keeps the rows; a new revert or a force-pushed mainline is picked up', async () => {
    const repo = base();
    const c = repo.write('a.ts', lines('a')).commit('feature');
    const db = join(tempDir('paceflow-db-'), 'paceflow.db');
    const read = async () => {
      await ingest({ cwd: repo.dir, db, sessions: false, notes: false });
      const d = openDatabase(db);
      const row = d.prepare(`SELECT merged_to_mainline, reverted_later, reverted_by FROM event_commit_outcomes WHERE sha = ?`).get([c]);
      d.close();
      return row;
    };
    expect(await read()).toEqual({ merged_to_mainline: 1, reverted_later: 0, reverted_by: null });
    expect(await read()).toEqual({ merged_to_mainline: 1, reverted_later: 0, reverted_by: null });
    repo.at().git('revert', '--no-edit', c);
    const r = repo.git('rev-parse', 'HEAD');
    expect(await read()).toEqual({ merged_to_mainline: 1, reverted_later: 1, reverted_by: r });
    // Mainline force-pushed back before the feature: it no longer reached mainline.
    repo.git('branch', '-q', 'keep-feature', c);
    repo.git('reset', '-q', '--hard', 'HEAD~2');
    expect(await read()).toEqual({ merged_to_mainline: 0, reverted_later: null, reverted_by: null });
  });
});
