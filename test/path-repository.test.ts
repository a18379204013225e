import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PathRepositoryResolver } from '../src/git/path-repository.js';
import { cleanupTempDirs, TempRepo, tempDir } from './helpers/git-repo.js';

afterAll(cleanupTempDirs);

describe('paths from transcripts to a repository and a repo-relative path', () => {
  it('resolves files that exist, are gone or never were here, cwds, and paths through a file; leaves out the rest', () => {
    const repo = TempRepo.create();
    repo.write('a.ts', 'export const a = 1;\n').write('src/b.ts', 'export const b = 2;\n').commit('first');
    mkdirSync(join(repo.dir, 'empty-dir'));
    const root = repo.git('rev-list', '--max-parents=0', 'HEAD');
    const outside = tempDir('paceflow-outside-');
    const resolver = new PathRepositoryResolver();
    // [path, repo-relative path or null: outside any repository, or not absolute]
    const cases: [string, string | null][] = [
      [join(repo.dir, 'a.ts'), 'a.ts'],
      [join(repo.dir, 'src', 'b.ts'), 'src/b.ts'],
      [repo.dir, ''],
      [join(repo.dir, 'src'), 'src'],
      [join(repo.dir, 'empty-dir'), 'empty-dir'],
      // Missing: a file since deleted, one in folders never made — resolved through the nearest folder there is.
      [join(repo.dir, 'gone.ts'), 'gone.ts'],
      [join(repo.dir, 'new', 'deep', 'c.ts'), 'new/deep/c.ts'],
      // A path through a file (the stat fails with ENOTDIR, not ENOENT).
      [join(repo.dir, 'a.ts', 'x.ts'), 'a.ts/x.ts'],
      [join(outside, 'd.ts'), null],
      ['/nonexistent-paceflow-root/e.ts', null],
      ['relative/f.ts', null],
    ];
    // Twice: the second time from what the resolver cached.
    for (const round of [1, 2]) {
      const got = cases.map(([path]) => {
        const r = resolver.resolve(path);
        return r && { repoId: r.repoId, path: r.path };
      });
      expect(got, `round ${round}`).toEqual(cases.map(([, path]) => (path === null ? null : { repoId: root, path })));
    }
  });
});
