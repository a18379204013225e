import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import { type CommitRecord, readCommits } from '../src/git/log.js';
import type { PatchRecord } from '../src/git/patch-record.js';
import { gitProcessCounts, OUTPUT_WRITE_BYTES, runGit, stdbufOn, streamGit } from '../src/git/run.js';
import { ingestGit } from '../src/ingest/git.js';
import { PatchStore } from '../src/git/patch-store.js';
import { tempDatabase } from './helpers/db.js';
import { cleanupTempDirs, TempRepo, tempDir } from './helpers/git-repo.js';

afterAll(cleanupTempDirs);

/** A few commits with a patch each, one of them larger than a pipe holds. */
function history(): TempRepo {
  const repo = TempRepo.create();
  repo.write('a.txt', 'one\n').commit('first');
  repo.write('big.txt', Array.from({ length: 20_000 }, (_, i) => `line ${i} of a file larger than a pipe\n`).join('')).commit('big');
  repo.write('a.txt', 'one\ntwo\n').commit('third');
  return repo;
}

/** The commits and the diff store's records of a first run's pass, with `env` (its PATH). */
async function read(repo: TempRepo, env: NodeJS.ProcessEnv, largeWrites: boolean) {
  const records: CommitRecord[] = [];
  const patches: string[] = [];
  const options = { cwd: repo.dir, env, largeWrites, onPatch: (p: PatchRecord) => patches.push(`${p.sha} ${p.body.toString('latin1')}`) };
  for await (const batch of readCommits(['HEAD'], [], options)) records.push(...batch);
  return { records, patches };
}

/** A folder put first on PATH holding `stdbuf`: a script with this body. */
function fakeStdbuf(body: string): { env: NodeJS.ProcessEnv; dir: string; log: string } {
  const dir = tempDir('paceflow-stdbuf-');
  const log = join(dir, 'calls');
  writeFileSync(join(dir, 'stdbuf'), `#!/bin/sh\n${body.replaceAll('$LOG', `'${log}'`)}\n`, { mode: 0o755 });
  return { env: { ...process.env, PATH: `${dir}${delimiter}${process.env.PATH}` }, dir, log };
}

describe.runIf(process.platform === 'linux')('a first history’s pass written in pipe-sized pieces (largeWrites)', () => {
  it('finds coreutils’ stdbuf on PATH (Debian’s in /usr/bin), and none where there is none', () => {
    expect(existsSync('/usr/bin/stdbuf')).toBe(true);
    expect(stdbufOn({ PATH: `relative${delimiter}/usr/bin` })).toBe('/usr/bin/stdbuf');
    expect(stdbufOn({ PATH: tempDir('paceflow-empty-') })).toBeNull();
    expect(stdbufOn({})).toBeNull();
  });

  it('runs git through stdbuf with 64 KiB writes and reads the same commits and patches as git’s own writes', async () => {
    const repo = history();
    const own = await read(repo, process.env, false);
    const { env, log } = fakeStdbuf('echo "$@" >> $LOG\nexec /usr/bin/stdbuf "$@"');
    const before = gitProcessCounts.get('log') ?? 0;
    const large = await read(repo, env, true);
    expect(readFileSync(log, 'utf8').split('\n')[0]).toMatch(new RegExp(`^-o ${OUTPUT_WRITE_BYTES} git -c .* log .*--stdin$`));
    expect(gitProcessCounts.get('log')! - before).toBe(1);
    expect(own.records).toHaveLength(3);
    expect(own.patches.join('').length).toBeGreaterThan(OUTPUT_WRITE_BYTES * 10);
    expect(large).toEqual(own);
    // Without largeWrites stdbuf is not asked.
    await read(repo, env, false);
    expect(readFileSync(log, 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('runs git without stdbuf when stdbuf cannot run it, and asks no more on that PATH', async () => {
    const repo = history();
    const own = await read(repo, process.env, false);
    // What coreutils' stdbuf says without its preload library beside it.
    const { env, log } = fakeStdbuf(`echo "$@" >> $LOG\necho "stdbuf: failed to find 'libstdbuf.so'" >&2\nexit 125`);
    expect(await read(repo, env, true)).toEqual(own);
    expect(stdbufOn(env)).toBeNull();
    expect(await read(repo, env, true)).toEqual(own);
    expect(readFileSync(log, 'utf8').trim().split('\n')).toHaveLength(1);
    // A whole output read at once (runGit) falls back the same way.
    const other = fakeStdbuf(`echo "stdbuf: failed to find 'libstdbuf.so'" >&2\nexit 125`);
    const { stdout } = await runGit(['rev-parse', 'HEAD'], { cwd: repo.dir, env: other.env, largeWrites: true });
    expect(stdout.toString().trim()).toBe(repo.git('rev-parse', 'HEAD'));
    expect(stdbufOn(other.env)).toBeNull();
  });

  it('runs git without stdbuf when the stdbuf it found is gone', async () => {
    const repo = history();
    const own = await read(repo, process.env, false);
    const { env, dir } = fakeStdbuf('exec /usr/bin/stdbuf "$@"');
    expect(stdbufOn(env)).toBe(join(dir, 'stdbuf'));
    rmSync(join(dir, 'stdbuf'));
    expect(await read(repo, env, true)).toEqual(own);
    expect(stdbufOn(env)).toBeNull();
  });

  it('still reports git’s own failure through stdbuf', async () => {
    const { env } = fakeStdbuf('exec /usr/bin/stdbuf "$@"');
    const failing = readCommits(['HEAD'], [], { cwd: tempDir('paceflow-not-a-repo-'), env, largeWrites: true, onPatch: () => undefined });
    await expect(
      (async () => {
        for await (const _ of failing) {
          // nothing: git fails
        }
      })(),
    ).rejects.toThrow(/^not a git repository: /);
    expect(stdbufOn(env)).not.toBeNull();
  });

  it('is asked for by a first history and a whole walk after unshallowing, not by a run after a commit', async () => {
    const upstream = history();
    const { env, log } = fakeStdbuf('echo "$@" >> $LOG\nexec /usr/bin/stdbuf "$@"');
    const calls = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').length : 0);
    const path = process.env.PATH;
    process.env.PATH = env.PATH;
    try {
      const ingest = async (cwd: string, db: ReturnType<typeof tempDatabase>) => {
        const patches = new PatchStore(null);
        try {
          return await ingestGit({ db, cwd, config: {}, patches });
        } finally {
          patches.close();
        }
      };
      const db = tempDatabase();
      expect(await ingest(upstream.dir, db)).toMatchObject({ commitsAdded: 3 });
      expect(calls()).toBe(1);
      upstream.write('a.txt', 'one\ntwo\nthree\n').commit('fourth');
      expect(await ingest(upstream.dir, db)).toMatchObject({ commitsAdded: 1 });
      expect(calls()).toBe(1);

      const clone = new TempRepo(tempDir());
      clone.git('clone', '-q', '--depth', '2', `file://${upstream.dir}`, '.');
      const cloned = tempDatabase();
      expect(await ingest(clone.dir, cloned)).toMatchObject({ isShallow: true, commitsAdded: 2 });
      expect(calls()).toBe(2);
      clone.git('fetch', '-q', '--unshallow', 'origin');
      expect(await ingest(clone.dir, cloned)).toMatchObject({ isShallow: false });
      expect(calls()).toBe(3);
      expect(cloned.prepare(`SELECT count(*) AS n FROM metadata_commits`).get()).toEqual({ n: 4 });
    } finally {
      process.env.PATH = path;
    }
  });
});

// A pass given a large input (the content rule's: every branch commit's sha) holds it only until
// git writes: nothing keeps the options once the stream has yielded, suspended or not.
describe('a stream’s input', () => {
  it('is let go once git has written, while the stream is still open', async () => {
    const repo = history();
    const head = repo.git('rev-parse', 'HEAD');
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    setFlagsFromString('--no-expose-gc');
    // 8 MB of input, built here and referenced only by the options.
    const start = () => {
      const options = { cwd: repo.dir, input: `${head}\n`.repeat(200_000) };
      return { stream: streamGit(['rev-list', '--stdin'], options), held: new WeakRef(options) };
    };
    gc();
    const before = process.memoryUsage().heapUsed;
    const { stream, held } = start();
    const first = await stream.next();
    expect(first.done).toBe(false);
    expect(first.value!.toString()).toContain(head);
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    expect(held.deref()).toBeUndefined();
    // Nor the input by any other way (a closure, a register of the generator's frame).
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(4_000_000);
    // The stream goes on to its end as before.
    while (!(await stream.next()).done);
  });
});
