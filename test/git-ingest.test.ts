import { spawnSync } from 'node:child_process';
import { chmodSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/driver.js';
import { PatchStore } from '../src/git/patch-store.js';
import { listRefs } from '../src/git/repository.js';
import { gitProcessCounts } from '../src/git/run.js';
import { ingestGit } from '../src/ingest/git.js';
import { KnownParents } from '../src/git/known-parents.js';
import { attributableCommits, repositoryRows } from '../src/db/count.js';
import { expectRowCountsKept, snapshot, tempDatabase } from './helpers/db.js';
import { TempRepo, cleanupTempDirs, tempDir } from './helpers/git-repo.js';

afterAll(cleanupTempDirs);

const run = (db: Database, repo: TempRepo, mainline?: string) => ingestGit({ db, cwd: repo.dir, config: mainline ? { mainline } : {} });

interface ChangeRow {
  path: string;
  old_path: string | null;
  change_type: string;
  similarity: number | null;
  added_lines: number | null;
  deleted_lines: number | null;
  is_binary: number;
}

function changes(db: Database, sha: string): ChangeRow[] {
  return db
    .prepare(
      `SELECT path, old_path, change_type, similarity, added_lines, deleted_lines, is_binary
       FROM metadata_commit_file_changes WHERE sha = ? ORDER BY path`,
    )
    .all<ChangeRow>([sha]);
}

function commit(db: Database, sha: string) {
  return db.prepare(`SELECT * FROM metadata_commits WHERE sha = ?`).get([sha]);
}

describe('git ingest', () => {
  it('records root, empty, merge, rename and binary commits with their file changes', async () => {
    const repo = TempRepo.create();
    const root = repo.write('src/app.ts', 'export const a = 1;\nexport const b = 2;\n').write('README.md', '# x\n').commit('root commit');
    const empty = repo.commit('nothing changed', { allowEmpty: true });
    repo.git('checkout', '-q', '-b', 'feature');
    repo.git('mv', 'src/app.ts', 'src/main.ts');
    const renamed = repo
      .write('src/main.ts', 'export const a = 1;\nexport const b = 2;\nexport const c = 3;\n')
      .commit('rename app to main');
    const binary = repo.write('logo.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02, 0x00])).commit('add logo');
    repo.git('checkout', '-q', 'main');
    const side = repo.write('README.md', '# x\n\nmore\n').commit('docs');
    repo.at().git('merge', '--no-ff', '-q', '-m', 'Merge branch feature', 'feature');
    const merge = repo.git('rev-parse', 'HEAD');
    const deleted = repo.write('README.md', '# x\n').commit('trim');
    repo.git('rm', '-q', 'logo.png');
    const removed = repo.commit('remove logo');

    const db = tempDatabase();
    const result = await run(db, repo);
    expect(result).toMatchObject({ commitsRead: 8, commitsAdded: 8, mainline: { branch: 'main', source: 'main' } });

    expect(commit(db, root)).toMatchObject({ is_root: 1, parent_count: 0, parent_shas: '', is_merge: 0, subject: 'root commit' });
    expect(changes(db, root)).toEqual([
      { path: 'README.md', old_path: null, change_type: 'A', similarity: null, added_lines: 1, deleted_lines: 0, is_binary: 0 },
      { path: 'src/app.ts', old_path: null, change_type: 'A', similarity: null, added_lines: 2, deleted_lines: 0, is_binary: 0 },
    ]);
    expect(commit(db, empty)).toMatchObject({ is_root: 0, parent_shas: root });
    expect(changes(db, empty)).toEqual([]);
    expect(changes(db, renamed)).toEqual([
      {
        path: 'src/main.ts',
        old_path: 'src/app.ts',
        change_type: 'R',
        similarity: expect.any(Number),
        added_lines: 1,
        deleted_lines: 0,
        is_binary: 0,
      },
    ]);
    expect(changes(db, renamed)[0]!.similarity).toBeGreaterThanOrEqual(50);
    expect(changes(db, binary)).toEqual([
      { path: 'logo.png', old_path: null, change_type: 'A', similarity: null, added_lines: null, deleted_lines: null, is_binary: 1 },
    ]);
    expect(commit(db, merge)).toMatchObject({ is_merge: 1, parent_count: 2, parent_shas: `${side} ${binary}` });
    expect(changes(db, merge)).toEqual([]);
    expect(changes(db, deleted)).toEqual([
      { path: 'README.md', old_path: null, change_type: 'M', similarity: null, added_lines: 0, deleted_lines: 2, is_binary: 0 },
    ]);
    expect(changes(db, removed)).toEqual([
      { path: 'logo.png', old_path: null, change_type: 'D', similarity: null, added_lines: null, deleted_lines: null, is_binary: 1 },
    ]);

    const files = db.prepare(`SELECT path, first_seen_commit, language FROM metadata_files ORDER BY path`).all();
    expect(files).toEqual([
      { path: 'README.md', first_seen_commit: root, language: 'Markdown' },
      { path: 'logo.png', first_seen_commit: binary, language: null },
      { path: 'src/app.ts', first_seen_commit: root, language: 'TypeScript' },
      { path: 'src/main.ts', first_seen_commit: renamed, language: 'TypeScript' },
    ]);
    const branches = db.prepare(`SELECT name, is_remote, is_mainline, head_sha, is_present FROM metadata_branches ORDER BY name`).all();
    expect(branches).toEqual([
      { name: 'feature', is_remote: 0, is_mainline: 0, head_sha: binary, is_present: 1 },
      { name: 'main', is_remote: 0, is_mainline: 1, head_sha: removed, is_present: 1 },
    ]);
  });

  it('records the blob each changed path holds after its commit, as git names it; none for a deletion or a submodule', async () => {
    const repo = TempRepo.create();
    repo.write('a.txt', 'one\n').write('run.sh', 'echo\n').write(Buffer.from('caf\xe9.txt', 'latin1'), 'x\n').commit('root');
    repo.write('a.txt', 'one\ntwo\n').commit('modify');
    repo.git('mv', 'a.txt', 'b.txt');
    chmodSync(join(repo.dir, 'run.sh'), 0o755);
    repo.commit('rename, mode');
    symlinkSync('b.txt', join(repo.dir, 'link'));
    repo.commit('symbolic link');
    const head = repo.git('rev-parse', 'HEAD');
    repo.git('update-index', '--add', '--cacheinfo', `160000,${head},sub`);
    repo.at().git('commit', '-q', '-m', 'submodule');
    // No checkout of it: `git add -A` deletes the submodule too.
    rmSync(join(repo.dir, 'b.txt'));
    repo.commit('delete');
    const db = tempDatabase();
    await run(db, repo);
    const rows = db
      .prepare(`SELECT sha, path, change_type, blob FROM metadata_commit_file_changes ORDER BY sha, path`)
      .all<{ sha: string; path: string; change_type: string; blob: string | null }>();
    expect(rows.map((r) => r.change_type).sort()).toEqual(['A', 'A', 'A', 'A', 'A', 'D', 'D', 'M', 'M', 'R']);
    for (const row of rows) {
      // What `<sha>:<path>` names when it is a blob, as the content rule's reader asks git.
      const name = `${row.sha}:${row.path.startsWith('"') ? 'caf\xe9.txt' : row.path}`;
      const found = spawnSync('git', ['cat-file', '--batch-check'], { cwd: repo.dir, input: Buffer.from(`${name}\n`, 'latin1') });
      const [object, type] = found.stdout.toString('latin1').split(' ');
      expect(row.blob, `${row.change_type} ${row.path}`).toBe(type === 'blob' ? object : null);
    }
    expect(
      rows
        .filter((r) => r.blob === null)
        .map((r) => `${r.change_type} ${r.path}`)
        .sort(),
    ).toEqual(['A sub', 'D b.txt', 'D sub']);
  });

  it('keeps messages with |, tabs and newlines, non-UTF-8 bytes, and times with their offsets', async () => {
    const repo = TempRepo.create();
    const tricky = 'fix: a | b | c\twith tab\n\nbody line 1\n\tindented | pipe\n\nlast';
    const sha = repo.write('a.txt', 'one line of text\n').commit(tricky, { tz: '+0530' });
    // A message in Latin-1 without an encoding header: git passes the bytes through.
    repo.write('b.txt', 'another line\n');
    repo.gitRaw(['add', '-A']);
    repo.gitRaw(['-c', 'i18n.commitEncoding=UTF-8', 'commit', '-q', '-F', '-'], Buffer.from('caf\xe9 cr\xe8me\n', 'latin1'));
    const latin1 = repo.git('rev-parse', 'HEAD');
    // A path that is not valid UTF-8 and one with a tab, a pipe and a newline in its name.
    repo.write(Buffer.from('d\xe9j\xe0.txt', 'latin1'), 'x y z w\n').write('odd\tname | with\nnewline.txt', 'text here\n');
    const paths = repo.commit('odd paths');

    const db = tempDatabase();
    await run(db, repo);
    expect(commit(db, sha)).toMatchObject({
      subject: 'fix: a | b | c\twith tab',
      message: `${tricky}\n`,
      author_tz: '+05:30',
      authored_at: '2026-01-05T09:01:00.000Z',
    });
    // git re-encodes a message that is not valid UTF-8 as Latin-1; nothing is lost or mangled.
    expect(commit(db, latin1)).toMatchObject({ subject: 'café crème', message: 'café crème\n' });
    expect(changes(db, paths).map((c) => c.path)).toEqual(['"d\\351j\\340.txt"', 'odd\tname | with\nnewline.txt']);
  });

  it('reads every branch, remote branch and tag, not only HEAD', async () => {
    const upstream = TempRepo.create();
    upstream.write('a.txt', 'alpha beta\n').commit('first');
    upstream.git('checkout', '-q', '-b', 'remote-only');
    const remoteOnly = upstream.write('b.txt', 'remote only work\n').commit('remote only');
    upstream.git('checkout', '-q', 'main');
    const clone = new TempRepo(tempDir());
    clone.git('clone', '-q', upstream.dir, '.');
    clone.git('checkout', '-q', '--orphan', 'lonely');
    const tagged = clone.write('t.txt', 'tagged work only\n').commit('only a tag points here');
    clone.at().git('tag', '-a', 'v1', '-m', 'annotated');
    clone.git('checkout', '-q', 'main');
    clone.git('branch', '-D', 'lonely');

    const db = tempDatabase();
    const result = await run(db, clone);
    expect(result.mainline).toEqual({ branch: 'main', source: 'origin_head' });
    expect(commit(db, remoteOnly)).toBeDefined();
    expect(commit(db, tagged)).toBeDefined();
    const branches = db.prepare(`SELECT name, is_remote, is_mainline FROM metadata_branches ORDER BY name`).all();
    expect(branches).toEqual([
      { name: 'main', is_remote: 0, is_mainline: 1 },
      { name: 'origin/main', is_remote: 1, is_mainline: 1 },
      { name: 'origin/remote-only', is_remote: 1, is_mainline: 0 },
    ]);
    const repoRow = db.prepare(`SELECT repo_id, remote_url FROM metadata_repositories`).get();
    // A local-path origin is not stable across machines, so the id falls back to the root commit.
    expect(repoRow).toEqual({ repo_id: upstream.git('rev-list', '--max-parents=0', 'HEAD'), remote_url: upstream.dir });
  });

  it('takes the repository id from a normalized origin URL, and the mainline from config over master', async () => {
    const repo = TempRepo.create({ branch: 'master' });
    repo.write('a.txt', 'alpha beta gamma\n').commit('first');
    repo.git('remote', 'add', 'origin', 'https://token:secret@GitHub.com/Acme/Widget.git');
    const db = tempDatabase();
    const detected = await run(db, repo);
    expect(detected.repoId).toBe('github.com/acme/widget');
    expect(detected.mainline).toEqual({ branch: 'master', source: 'master' });
    expect(db.prepare(`SELECT remote_url FROM metadata_repositories`).get()).toEqual({
      remote_url: 'https://GitHub.com/Acme/Widget.git',
    });
    const configured = await run(db, repo, 'release');
    expect(configured.mainline).toEqual({ branch: 'release', source: 'config' });
  });

  it('is incremental: a re-run walks only new commits, and a double ingest changes no row', async () => {
    const repo = TempRepo.create();
    for (let i = 0; i < 5; i++) repo.write(`f${i}.txt`, `content number ${i}\n`).commit(`commit ${i}`);
    const db = tempDatabase();
    expect((await run(db, repo)).commitsRead).toBe(5);
    const before = snapshot(db);
    const again = await run(db, repo);
    expect(again).toMatchObject({ commitsRead: 0, commitsAdded: 0 });
    expect(snapshot(db)).toEqual(before);

    repo.write('new.txt', 'brand new file\n').commit('one more');
    repo.git('checkout', '-q', '-b', 'topic', 'HEAD~2');
    repo.write('topic.txt', 'topic work\n').commit('topic work');
    const third = await run(db, repo);
    expect(third).toMatchObject({ commitsRead: 2, commitsAdded: 2 });

    // A full ingest into a fresh database gives the same rows as the incremental one.
    const fresh = tempDatabase();
    await run(fresh, repo);
    const firstSeen = ['metadata_branches.first_seen_at', 'metadata_repositories.first_seen_at'];
    expect(snapshot(fresh, firstSeen)).toEqual(snapshot(db, firstSeen));
  });

  it('after a history rewrite, records the new commits and forgets deleted branches', async () => {
    const repo = TempRepo.create();
    repo.write('a.txt', 'alpha beta\n').commit('first');
    repo.git('checkout', '-q', '-b', 'doomed');
    repo.write('b.txt', 'doomed work\n').commit('doomed');
    repo.git('checkout', '-q', 'main');
    const db = tempDatabase();
    await run(db, repo);
    repo.git('branch', '-D', 'doomed');
    repo.write('a.txt', 'alpha beta amended\n');
    repo.gitRaw(['add', '-A']);
    repo.gitRaw(['commit', '-q', '--amend', '-m', 'first, amended']);
    const result = await run(db, repo);
    expect(result).toMatchObject({ commitsRead: 1, commitsAdded: 1 });
    const doomed = db.prepare(`SELECT is_present FROM metadata_branches WHERE name = 'doomed'`).get();
    expect(doomed).toEqual({ is_present: 0 });
    const tips = db.prepare(`SELECT ref_name FROM fact_git_ref_tips ORDER BY ref_name`).all();
    expect(tips).toEqual([{ ref_name: 'HEAD' }, { ref_name: 'refs/heads/main' }]);
    // The amended-away commit and the deleted branch's commit no longer count.
    const reach = db.prepare(`SELECT subject, is_unreachable FROM metadata_commits ORDER BY subject`).all();
    expect(reach).toEqual([
      { subject: 'doomed', is_unreachable: 1 },
      { subject: 'first', is_unreachable: 1 },
      { subject: 'first, amended', is_unreachable: 0 },
    ]);
    expect(db.prepare(`SELECT commits FROM view_repository_commit_quality`).get()).toEqual({ commits: 1 });
  });

  it('tells without git that tips recorded before were left behind by new commits, and asks git when history was rewritten', async () => {
    const repo = TempRepo.create();
    repo.write('a.txt', 'one\n').commit('one');
    repo.git('checkout', '-q', '-b', 'topic');
    repo.write('b.txt', 'topic\n').commit('topic one');
    const db = tempDatabase();
    await run(db, repo);
    const revLists = () => gitProcessCounts.get('rev-list') ?? 0;
    const unreachable = () =>
      db
        .prepare(`SELECT subject FROM metadata_commits WHERE is_unreachable = 1 ORDER BY subject`)
        .all<{ subject: string }>()
        .map((r) => r.subject);
    // Commits on both branches (the old tips now parents, nothing pins them) and a merge.
    repo.write('b.txt', 'topic two\n').commit('topic two');
    repo.git('checkout', '-q', 'main');
    repo.write('a.txt', 'two\n').commit('two');
    repo.git('merge', '-q', '--no-ff', '-m', 'merge topic', 'topic');
    /** The ingest's rev-list processes, and what it found. */
    const ingested = async () => {
      const before = revLists();
      const result = await run(db, repo);
      return { revLists: revLists() - before, added: result.commitsAdded, unreachable: unreachable() };
    };
    expect(await ingested()).toEqual({ revLists: 0, added: 3, unreachable: [] });
    // An amend leaves its old tip reachable from nothing: git says what only it held.
    repo.write('a.txt', 'three\n');
    repo.gitRaw(['commit', '-q', '-a', '--amend', '-m', 'merge, amended']);
    expect(await ingested()).toEqual({ revLists: 1, added: 1, unreachable: ['merge topic'] });
    // A branch reset back: its old tip is no parent of anything read, and git is asked (the reset
    // commit stays reachable through the amended merge).
    repo.git('branch', '-f', 'topic', 'topic~1');
    expect(await ingested()).toEqual({ revLists: 1, added: 0, unreachable: ['merge topic'] });
  });

  it('KnownParents reaches tips through the parents of commits known, and gives up past its limit', () => {
    const table: { parents: [string, string[]][]; from: string[]; targets: string[]; limit?: number; reached: boolean }[] = [
      { parents: [['c', ['b']]], from: ['c'], targets: ['b'], reached: true },
      {
        parents: [
          ['d', ['c']],
          ['c', ['b']],
        ],
        from: ['d'],
        targets: ['b'],
        reached: true,
      },
      { parents: [['m', ['a', 'x']]], from: ['m'], targets: ['a', 'x'], reached: true },
      { parents: [['c', ['b']]], from: ['c'], targets: ['b', 'z'], reached: false },
      { parents: [['c', ['b']]], from: ['z'], targets: ['b'], reached: false },
      // b was not read: what lies past it (a) only git can place
      { parents: [['c', ['b']]], from: ['c'], targets: ['a'], reached: false },
      {
        parents: [
          ['d', ['c']],
          ['c', ['b']],
        ],
        from: ['d'],
        targets: ['b'],
        limit: 1,
        reached: false,
      },
    ];
    for (const { parents, from, targets, limit, reached } of table) {
      const read = new KnownParents(limit);
      for (const [sha, p] of parents) read.add(sha, p);
      expect(read.allReached(from, targets), JSON.stringify({ parents, from, targets, limit })).toBe(reached);
    }
    // Where a walk stopped: the commits reached that are not known (the tasks builder's old tips).
    const merge = new KnownParents();
    merge.add('m', ['a', 'x']);
    merge.add('x', ['w']);
    const walked = merge.walk(['m'])!;
    expect([[...walked.reached].sort(), [...walked.stopped].sort()]).toEqual([
      ['a', 'm', 'w', 'x'],
      ['a', 'w'],
    ]);
    const full = new KnownParents(1);
    full.add('m', ['a']);
    full.add('x', ['w']);
    expect(full.walk(['m'])).toBeNull();
  });

  it('detects and reports a shallow clone, and records the full history once unshallowed', async () => {
    const upstream = TempRepo.create();
    for (let i = 0; i < 4; i++) upstream.write('a.txt', `version ${i} of the file\n`).commit(`v${i}`);
    const clone = new TempRepo(tempDir());
    clone.git('clone', '-q', '--depth', '2', `file://${upstream.dir}`, '.');
    const db = tempDatabase();
    // No remote URL to name it: the id must not be the cut-off commit, and must survive unshallowing.
    clone.git('remote', 'rename', 'origin', 'upstream');
    const shallow = await run(db, clone);
    expect(shallow).toMatchObject({ isShallow: true, commitsAdded: 2 });
    const boundary = db.prepare(`SELECT sha FROM metadata_commits WHERE is_shallow_boundary = 1`).all<{ sha: string }>();
    expect(boundary).toHaveLength(1);
    // The boundary commit's diff against nothing would claim the whole tree as added: no rows.
    expect(changes(db, boundary[0]!.sha)).toEqual([]);
    expect(db.prepare(`SELECT is_shallow FROM view_repository_commit_quality`).get()).toEqual({ is_shallow: 1 });

    clone.git('fetch', '-q', '--unshallow', 'upstream');
    const full = await run(db, clone);
    expect(full.isShallow).toBe(false);
    expect(full.repoId).toBe(shallow.repoId);
    expect(db.prepare(`SELECT count(*) AS n, sum(is_shallow_boundary) AS b FROM metadata_commits`).get()).toEqual({ n: 4, b: 0 });
    expect(changes(db, boundary[0]!.sha)).toEqual([
      { path: 'a.txt', old_path: null, change_type: 'M', similarity: null, added_lines: 1, deleted_lines: 1, is_binary: 0 },
    ]);
  });

  it('with the run’s diff store: keeps each new commit’s diff and patch-id, none in a shallow clone', async () => {
    const upstream = TempRepo.create();
    for (let i = 0; i < 4; i++) upstream.write('a.txt', `version ${i} of the file\n`).commit(`v${i}`);
    const store = new PatchStore(null);
    await ingestGit({ db: tempDatabase(), cwd: upstream.dir, config: {}, patches: store });
    expect(store.size).toBe(4);
    const tip = upstream.git('rev-parse', 'HEAD');
    expect(store.get(tip)!.files).toEqual([
      { path: 'a.txt', oldPath: 'a.txt', added: ['version 3 of the file'], removed: ['version 2 of the file'] },
    ]);
    expect(store.patchId(tip)).toBe(
      upstream
        .gitRaw(['patch-id', '--stable'], upstream.gitRaw(['show', '--no-prefix', tip]))
        .toString()
        .split(' ')[0],
    );
    store.close();
    // A shallow clone's boundary commit would bring the whole tree as its diff: read as before.
    const clone = new TempRepo(tempDir());
    clone.git('clone', '-q', '--depth', '2', `file://${upstream.dir}`, '.');
    const shallow = new PatchStore(null);
    const result = await ingestGit({ db: tempDatabase(), cwd: clone.dir, config: {}, patches: shallow });
    expect(result.commitsAdded).toBe(2);
    expect(shallow.size).toBe(0);
    shallow.close();
  });

  it('with the run’s diff store, a ref whose history git cannot read is still left out whole', async () => {
    const repo = TempRepo.create();
    repo.write('a.txt', 'alpha beta\n').commit('first');
    const db = tempDatabase();
    await ingestGit({ db, cwd: repo.dir, config: {}, patches: new PatchStore(null) });
    const before = snapshot(db);
    repo.write('b.txt', 'second file content\n').commit('second');
    repo.write('c.txt', 'third file content\n').commit('third');
    // The blob the patch needs: git dies mid-stream.
    const blob = repo.git('rev-parse', 'HEAD~1:b.txt');
    rmSync(join(repo.dir, '.git', 'objects', blob.slice(0, 2), blob.slice(2)));
    const result = await ingestGit({ db, cwd: repo.dir, config: {}, patches: new PatchStore(null) });
    expect(result.unreadableRefs.map((r) => r.ref).sort()).toEqual(['HEAD', 'refs/heads/main']);
    expect(result.unreadableRefs[0]!.object).toBe(blob);
    const facts = (s: ReturnType<typeof snapshot>) => ({ ...s, fact_ref_problems: [], paceflow_ref_objects: [] });
    expect(facts(snapshot(db))).toEqual(facts(before));
  });

  it('finds the one ref of many that reaches a missing object without walking every ref', async () => {
    // A first run excludes nothing: a walk per ref read each ref's whole history again (git's own
    // history with its 3,277 pull requests' refs and 25 objects missing: hours).
    const repo = TempRepo.create();
    repo.write('a.txt', 'alpha beta\n').commit('first');
    for (let i = 0; i < 30; i++) {
      repo.git('checkout', '-q', '-b', `topic/${i}`, 'main');
      repo.write(`t${i}.txt`, `topic ${i}\n`).commit(`topic ${i}`);
    }
    repo.git('checkout', '-q', '-b', 'data/generated', 'main');
    repo.write('big.bin', 'a file the clone lacks\n').commit('generated');
    repo.write('after.txt', 'later\n').commit('after');
    repo.git('checkout', '-q', 'main');
    const blob = repo.git('rev-parse', 'data/generated~1:big.bin');
    rmSync(join(repo.dir, '.git', 'objects', blob.slice(0, 2), blob.slice(2)));
    const logs = () => gitProcessCounts.get('log') ?? 0;
    const before = logs();
    const result = await run(tempDatabase(), repo);
    expect(result.unreadableRefs.map((r) => [r.ref, r.object])).toEqual([['refs/heads/data/generated', blob]]);
    expect(result.unreadableRefs[0]!.reason).toMatch(/^git log failed \(exit 128\): /);
    expect(result.refs).toBe(32);
    // The pass that failed, the diffs naming the missing object, the one ref's walk, the pass again
    // (32 walks before, one per ref).
    expect(logs() - before).toBeLessThanOrEqual(5);
  });

  it('leaves out whole a ref whose history git cannot read: nothing of it is half-written', async () => {
    const repo = TempRepo.create();
    repo.write('a.txt', 'alpha beta\n').commit('first');
    const db = tempDatabase();
    await run(db, repo);
    const before = snapshot(db);
    repo.write('b.txt', 'second file content\n').commit('second');
    repo.write('c.txt', 'third file content\n').commit('third');
    // Remove the blob the walk needs for numstat: git dies mid-stream.
    const blob = repo.git('rev-parse', 'HEAD~1:b.txt');
    rmSync(join(repo.dir, '.git', 'objects', blob.slice(0, 2), blob.slice(2)));
    const result = await run(db, repo);
    expect(result.unreadableRefs.map((r) => r.ref).sort()).toEqual(['HEAD', 'refs/heads/main']);
    expect(result.unreadableRefs[0]!.object).toBe(blob);
    // Every table as before but the problem rows: not one commit of the unreadable walk was kept.
    // (The refs' objects are a cache of their types, true whatever git can read of their history.)
    const after = snapshot(db);
    expect(after.fact_ref_problems).toHaveLength(2);
    expect(after.paceflow_ref_objects).toEqual([expect.objectContaining({ sha: repo.git('rev-parse', 'HEAD'), object_type: 'commit' })]);
    const facts = (s: typeof after) => ({ ...s, fact_ref_problems: [], paceflow_ref_objects: [] });
    expect(facts(after)).toEqual(facts(before));
  });

  // An object's type never changes: the run lists names and shas, and asks git the types of the
  // objects it has not seen (git's own history: 26 ms of for-each-ref against 6 ms without them).
  it('lists every kind of ref the same whether their objects are known or asked, and asks nothing of known ones', async () => {
    const repo = TempRepo.create();
    const first = repo.write('a.txt', 'alpha\n').commit('first');
    const second = repo.write('b.txt', 'beta\n').commit('second');
    repo.git('tag', 'light', first);
    repo.git('tag', '-a', '-m', 'annotated', 'annotated', first);
    repo.git('tag', '-a', '-m', 'a tag of a tag', 'nested', 'annotated');
    repo.git('tag', '-a', '-m', 'a blob', 'blob-tag', repo.git('rev-parse', 'HEAD:b.txt'));
    repo.git('update-ref', 'refs/pull/7/head', first);
    repo.git('update-ref', 'refs/pull/7/merge', second);
    const catFiles = () => gitProcessCounts.get('cat-file') ?? 0;
    const before = catFiles();
    const asked = await listRefs(repo.dir);
    expect(catFiles() - before).toBe(1);
    const tips = Object.fromEntries(asked.tips.map((t) => [t.name, t.sha]));
    expect(tips).toEqual({
      'refs/heads/main': second,
      'refs/tags/annotated': first,
      'refs/tags/light': first,
      'refs/tags/nested': first,
      'refs/pull/7/head': first,
      HEAD: second,
    });
    expect([...asked.objects.values()].map((o) => `${o.type}>${o.peeledType}`).sort()).toEqual([
      'commit>commit',
      'commit>commit',
      'tag>blob',
      'tag>commit',
      'tag>commit',
    ]);
    const known = await listRefs(repo.dir, undefined, (sha) => asked.objects.get(sha));
    expect(catFiles() - before).toBe(1);
    expect(known).toEqual(asked);
    // One object not known yet: one more cat-file, for it alone.
    repo.git('tag', '-a', '-m', 'later', 'later', second);
    const later = await listRefs(repo.dir, undefined, (sha) => asked.objects.get(sha));
    expect(catFiles() - before).toBe(2);
    expect(later.tips.find((t) => t.name === 'refs/tags/later')?.sha).toBe(second);
    // A commit moves the branch to HEAD's commit, which the listing knows is one: git is not asked.
    const third = repo.write('c.txt', 'gamma\n').commit('third');
    const committed = await listRefs(repo.dir, undefined, (sha) => later.objects.get(sha));
    expect(catFiles() - before).toBe(2);
    expect(committed.tips.find((t) => t.name === 'refs/heads/main')?.sha).toBe(third);
  });

  it('asks git nothing of a ref at a recorded commit: a new branch, or one moved by a commit', async () => {
    const repo = TempRepo.create();
    const first = repo.write('a.txt', 'alpha\n').commit('first');
    repo.write('b.txt', 'beta\n').commit('second');
    const db = tempDatabase();
    await run(db, repo);
    const catFiles = () => gitProcessCounts.get('cat-file') ?? 0;
    const before = catFiles();
    repo.git('branch', 'again', first);
    await run(db, repo);
    repo.write('c.txt', 'gamma\n').commit('third');
    await run(db, repo);
    expect(catFiles() - before).toBe(0);
    // A tag is an object of its own: asked once, then known.
    repo.git('tag', '-a', '-m', 'v1', 'v1', first);
    await run(db, repo);
    await run(db, repo);
    expect(catFiles() - before).toBe(1);
    expect(db.prepare(`SELECT sha FROM fact_git_ref_tips WHERE ref_name IN ('refs/heads/again', 'refs/tags/v1')`).all()).toEqual([
      { sha: first },
      { sha: first },
    ]);
  });

  it('skips and reports a ref whose object this clone does not have, and keeps the tip recorded before', async () => {
    const repo = TempRepo.create();
    const first = repo.write('a.txt', 'alpha\n').commit('first');
    repo.git('branch', 'topic', first);
    const db = tempDatabase();
    await run(db, repo);
    const gone = 'd'.repeat(40);
    // What a partial or damaged clone holds: a ref at an object git lacks (update-ref refuses to write one).
    writeFileSync(join(repo.dir, '.git', 'refs', 'heads', 'topic'), `${gone}\n`);
    // And a tag whose target the clone lacks (hash-object writes what mktag would refuse).
    const tag = repo
      .gitRaw(
        ['hash-object', '-t', 'tag', '--literally', '-w', '--stdin'],
        `object ${gone}\ntype commit\ntag dangling\ntagger T <t@example.com> 1767603660 +0000\n\ndangling\n`,
      )
      .toString()
      .trim();
    repo.git('update-ref', 'refs/tags/dangling', tag);
    const second = repo.write('b.txt', 'beta\n').commit('second');
    const result = await run(db, repo);
    expect(result.unreadableRefs).toEqual([
      { ref: 'refs/heads/topic', object: gone, reason: `object ${gone} is missing from this clone` },
      { ref: 'refs/tags/dangling', object: tag, reason: `tag ${tag} points at an object missing from this clone` },
    ]);
    expect(result.commitsAdded).toBe(1);
    expect(db.prepare(`SELECT ref_name, sha FROM fact_git_ref_tips ORDER BY ref_name`).all()).toEqual([
      { ref_name: 'HEAD', sha: second },
      { ref_name: 'refs/heads/main', sha: second },
      { ref_name: 'refs/heads/topic', sha: first },
    ]);
    expect(db.prepare(`SELECT ref_name, kind, object FROM fact_ref_problems ORDER BY ref_name`).all()).toEqual([
      { ref_name: 'refs/heads/topic', kind: 'unreadable', object: gone },
      { ref_name: 'refs/tags/dangling', kind: 'unreadable', object: tag },
    ]);
    // Nothing of the dangling tag is kept: its target may come with the next fetch.
    expect(db.prepare(`SELECT count(*) AS n FROM paceflow_ref_objects WHERE sha = ?`).get([tag])).toEqual({ n: 0 });
  });

  // Rows in proportion to what changed (#20): a run with nothing new wrote every ref's tip and
  // branch rows again. SQLite's total_changes() counts every row a statement (or its triggers)
  // inserted, updated or deleted: each step writes as many rows with 3 refs as with 33.
  it('writes the tip and branch rows of the refs that changed, and only the repository row when nothing did', async () => {
    const steps = async (extraRefs: number) => {
      const repo = TempRepo.create();
      const first = repo.write('a.txt', 'alpha\n').commit('first');
      repo.git('branch', 'topic', first);
      repo.git('branch', 'gone', first);
      for (let i = 0; i < extraRefs / 2; i++) repo.git('branch', `more-${i}`, first);
      for (let i = 0; i < extraRefs / 2; i++) repo.git('tag', '-a', '-m', `v${i}`, `v${i}`, first);
      const db = tempDatabase();
      await run(db, repo);
      const written = async () => {
        const before = db.prepare(`SELECT total_changes() AS n`).get<{ n: number }>()!.n;
        await run(db, repo);
        return db.prepare(`SELECT total_changes() AS n`).get<{ n: number }>()!.n - before;
      };
      const branch = (name: string) => db.prepare(`SELECT head_sha, is_present FROM metadata_branches WHERE name = ?`).get([name]);
      const counts: Record<string, number> = { nothingNew: await written() };
      repo.git('checkout', '-q', 'topic');
      const second = repo.write('b.txt', 'beta\n').commit('second');
      repo.git('checkout', '-q', 'main');
      Object.assign(counts, { moved: await written() });
      expect(branch('topic')).toEqual({ head_sha: second, is_present: 1 });
      repo.git('branch', '-D', 'gone');
      Object.assign(counts, { deleted: await written() });
      expect(branch('gone')).toEqual({ head_sha: first, is_present: 0 });
      repo.git('branch', 'gone', first);
      Object.assign(counts, { back: await written(), again: await written() });
      expect(branch('gone')).toEqual({ head_sha: first, is_present: 1 });
      // Mainline named otherwise, no ref moved: the two branches' rows change with it.
      await run(db, repo, 'topic');
      expect(db.prepare(`SELECT name FROM metadata_branches WHERE is_mainline = 1`).all()).toEqual([{ name: 'topic' }]);
      return counts;
    };
    const few = await steps(0);
    expect(few).toMatchObject({ nothingNew: 1, again: 1 });
    // The deleted branch: the repository row, its tip deleted, its branch row marked gone.
    expect(few.deleted).toBe(3);
    expect(await steps(30)).toEqual(few);
  });

  it('a first ingest queues and counts its commits as the triggers do, and keeps the triggers and indexes', async () => {
    // What the triggers make of the same rows: every commit inserted again through them.
    const byTriggers = (db: Database) => {
      db.exec(`DELETE FROM paceflow_unattributed; DELETE FROM paceflow_untasked`);
      db.exec(`CREATE TEMP TABLE again AS SELECT * FROM metadata_commits`);
      db.exec(`DELETE FROM metadata_commits; INSERT INTO metadata_commits SELECT * FROM temp.again; DROP TABLE temp.again`);
    };
    const queues = (db: Database) =>
      Object.fromEntries(
        ['paceflow_unattributed', 'paceflow_untasked'].map((t) => [t, db.prepare(`SELECT repo_id, sha FROM ${t} ORDER BY sha`).all()]),
      );
    const triggers = (db: Database) => db.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name`).all();
    const indexes = (db: Database) => db.prepare(`SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name`).all();

    const repo = TempRepo.create();
    repo.write('a.txt', '1\n').commit('one');
    repo.git('checkout', '-q', '-b', 'topic');
    repo.write('b.txt', '2\n').commit('two');
    repo.git('checkout', '-q', 'main');
    repo.write('c.txt', '3\n').commit('three');
    repo.at().git('merge', '-q', '--no-ff', '-m', 'merge topic', 'topic');
    const clone = new TempRepo(tempDir());
    clone.git('clone', '-q', '--depth', '2', `file://${repo.dir}`, '.');
    // The clone: the merge and its two parents, cut off (boundaries are queued for tasks only).
    for (const [r, merges, boundaries, unattributed, untasked] of [
      [repo, 1, 0, 3, 4],
      [clone, 1, 2, 0, 3],
    ] as const) {
      const db = tempDatabase();
      const fresh = triggers(db);
      const freshIndexes = indexes(db);
      const { repoId } = await run(db, r);
      const counts = db.prepare(`SELECT sum(is_merge) AS merges, sum(is_shallow_boundary) AS boundaries FROM metadata_commits`).get();
      expect(counts).toEqual({ merges, boundaries });
      const first = queues(db);
      expect([first.paceflow_unattributed!.length, first.paceflow_untasked!.length]).toEqual([unattributed, untasked]);
      // The commits' counts, put off with their triggers and counted once at the end (none kept for
      // an empty set), as the triggers keep them.
      expect([attributableCommits(db, repoId!), repositoryRows(db, 'metadata_commits:merge', repoId!)]).toEqual([unattributed, merges]);
      expectRowCountsKept(db);
      expect(triggers(db)).toEqual(fresh);
      // The indexes put off are made again, whole: the same SQL, and every entry where it belongs.
      expect(indexes(db)).toEqual(freshIndexes);
      expect(db.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
      const paths = (how: string) =>
        db.prepare(`SELECT path, sha FROM metadata_commit_file_changes ${how} WHERE repo_id IS NOT NULL ORDER BY path, sha`).all();
      expect(paths('INDEXED BY metadata_commit_file_changes_by_path')).toEqual(paths('NOT INDEXED'));
      expect(paths('NOT INDEXED')).toHaveLength(r === repo ? 3 : 0);
      const kept = db.prepare(`SELECT * FROM paceflow_row_counts ORDER BY counted, repo_id`).all();
      byTriggers(db);
      expect(first).toEqual(queues(db));
      expect(db.prepare(`SELECT * FROM paceflow_row_counts ORDER BY counted, repo_id`).all()).toEqual(kept);
    }
  });

  it('records nothing for a repository without commits', async () => {
    const repo = TempRepo.create();
    const db = tempDatabase();
    const result = await run(db, repo);
    expect(result).toMatchObject({ repoId: null, commitsRead: 0 });
    expect(db.prepare(`SELECT count(*) AS n FROM metadata_repositories`).get()).toEqual({ n: 0 });
  });

  it('marks AI-assisted commits from trailers and author markers, and PR numbers from subjects', async () => {
    const repo = TempRepo.create();
    const claude = repo
      .write('a.txt', 'alpha beta\n')
      .commit(
        'Add a (#12)\n\n🤖 Generated with [Claude Code](https://claude.com/claude-code)\n\nCo-Authored-By: Claude <noreply@anthropic.com>',
      );
    const aider = repo.write('b.txt', 'beta gamma\n').commit('aider: tweak b', { author: 'Test Person (aider)' });
    const human = repo.write('c.txt', 'gamma delta\n').commit('Merge pull request #7 from acme/topic');
    const db = tempDatabase();
    await run(db, repo);
    const rows = db.prepare(`SELECT sha, ai_marker, ai_marker_source, pr_number FROM metadata_commits ORDER BY committed_at`).all();
    expect(rows).toEqual([
      { sha: claude, ai_marker: 'claude', ai_marker_source: 'trailer', pr_number: 12 },
      { sha: aider, ai_marker: 'aider', ai_marker_source: 'author', pr_number: null },
      { sha: human, ai_marker: null, ai_marker_source: null, pr_number: 7 },
    ]);
  });
});

describe('git ingest temp-repo helper', () => {
  it('makes repositories whose commits carry the fixed user and dates', () => {
    const repo = TempRepo.create();
    repo.write('x.txt', 'x marks the spot\n').commit('x');
    expect(repo.git('log', '-1', '--format=%an <%ae> %aI')).toBe('Test Person <test@example.com> 2026-01-05T09:01:00+00:00');
    expect(readdirSync(repo.dir)).toContain('.git');
    writeFileSync(join(repo.dir, 'y.txt'), 'y');
  });
});
