import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recordedBlobs, recordedBlobsWork } from '../src/builders/outcomes/recorded-blobs.js';
import { ingestGit } from '../src/ingest/git.js';
import { tempDatabase } from './helpers/db.js';
import { cleanupTempDirs, TempRepo } from './helpers/git-repo.js';

afterAll(cleanupTempDirs);

/** What git says a path is at a revision: its blob, or null (missing, or not a blob). */
function gitBlob(repo: TempRepo, rev: string, path: string): string | null {
  const [sha, type] = repo
    .gitRaw(['cat-file', '--batch-check=%(objectname) %(objecttype)'], `${rev}:${path}\n`)
    .toString('utf8')
    .trim()
    .split(' ');
  return type === 'blob' ? sha! : null;
}

/**
 * A history with every shape the lookup meets: a root, edits, a rename, a deletion, a path added
 * again, a branch merged (a merge's diff is not recorded), a path changed commit after commit.
 */
function history(): { repo: TempRepo; names: Record<string, string> } {
  const repo = TempRepo.create();
  const names: Record<string, string> = {};
  names.root = repo.write('a.txt', 'a1\n').write('old.txt', 'o\n').write('keep.txt', 'k\n').commit('root');
  names.edit = repo.write('a.txt', 'a2\n').commit('edit a');
  names.rename = (() => {
    rmSync(join(repo.dir, 'old.txt'));
    return repo.write('new.txt', 'o\n').commit('rename old to new');
  })();
  names.remove = (() => {
    rmSync(join(repo.dir, 'a.txt'));
    return repo.commit('remove a');
  })();
  names.again = repo.write('a.txt', 'a3\n').commit('add a again');
  repo.git('checkout', '-q', '-b', 'topic');
  names.topic = repo.write('t.txt', 't\n').commit('topic');
  repo.git('checkout', '-q', 'main');
  names.side = repo.write('s.txt', 's\n').commit('side');
  repo.at();
  repo.git('merge', '-q', '--no-ff', '-m', 'merge topic', 'topic');
  names.merge = repo.git('rev-parse', 'HEAD');
  names.after = repo.write('s.txt', 's2\n').commit('after the merge');
  for (let i = 0; i < 3; i++) names[`busy${i}`] = repo.write('busy.txt', `${i}\n`).commit(`busy ${i}`);
  return { repo, names };
}

describe('blobs named from the recorded history', () => {
  it('answers as git does wherever it answers: a path the revision changed, or deleted; the rest is left to git', async () => {
    const { repo, names } = history();
    const db = tempDatabase();
    await ingestGit({ db, cwd: repo.dir, config: {} });
    const { repo_id: repoId } = db.prepare(`SELECT repo_id FROM metadata_repositories`).get<{ repo_id: string }>()!;
    const lookup = recordedBlobs(db, repoId);
    const paths = ['a.txt', 'old.txt', 'new.txt', 'keep.txt', 't.txt', 's.txt', 'busy.txt', 'never.txt'];
    const answered = new Map<string, string | null>();
    const before = { ...recordedBlobsWork };
    for (const [name, rev] of Object.entries(names)) {
      for (const path of paths) {
        const blob = lookup(rev, path);
        if (blob === undefined) continue;
        // The oracle: git's own answer, wherever the records gave one.
        expect([name, path, blob]).toEqual([name, path, gitBlob(repo, rev, path)]);
        answered.set(`${name}:${path}`, blob);
      }
    }
    // What each commit changed, and only that: the root's three files, an edit, a rename's new
    // path, the file added again, the topic's and the side's, the commit after the merge, each
    // busy commit's; the deleted a.txt as not there. The merge's diff is not recorded.
    expect([...answered.keys()]).toEqual([
      'root:a.txt',
      'root:old.txt',
      'root:keep.txt',
      'edit:a.txt',
      'rename:new.txt',
      'remove:a.txt',
      'again:a.txt',
      'topic:t.txt',
      'side:s.txt',
      'after:s.txt',
      'busy0:busy.txt',
      'busy1:busy.txt',
      'busy2:busy.txt',
    ]);
    expect(answered.get('remove:a.txt')).toBeNull();
    const count = (key: keyof typeof recordedBlobsWork) => recordedBlobsWork[key] - before[key];
    expect([count('named'), count('missing'), count('unknown')]).toEqual([12, 1, Object.keys(names).length * paths.length - 13]);
  });
});
