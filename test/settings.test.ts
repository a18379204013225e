import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { committerIdent, parseSettings, readRepositorySettings } from '../src/git/settings.js';
import { cleanupTempDirs, TempRepo, tempDir } from './helpers/git-repo.js';

afterAll(cleanupTempDirs);

/** What git itself answers in `dir` with this process's environment (and `env` over it). */
function git(dir: string, args: string[], env: NodeJS.ProcessEnv = {}): { code: number | null; out: string } {
  const r = spawnSync('git', args, { cwd: dir, env: { ...process.env, ...env }, encoding: 'utf8' });
  return { code: r.status, out: r.stdout.replace(/\n$/, '') };
}

/** An ident with its time left out: the two are asked a moment apart. */
const withoutTime = (ident: string | null) => ident?.replace(/ \d+ ([+-]\d{4})$/, ' <time> $1') ?? null;

const saved = { ...process.env };
afterEach(() => {
  for (const key of ['TZ', 'GIT_CONFIG_GLOBAL', 'GIT_COMMITTER_NAME', 'GIT_COMMITTER_DATE']) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
});

describe('the repository settings, read in one git process', () => {
  // Each row: settings written to the repository's config (over the tests' global user), and the
  // time zone. The committer composed from them must be what `git var GIT_COMMITTER_IDENT` prints.
  it.each([
    { name: 'plain', config: {}, tz: 'UTC' },
    { name: 'a name and email of its own', config: { 'user.name': 'Ada Lovelace', 'user.email': 'ada@example.com' }, tz: 'UTC' },
    { name: 'crud around both', config: { 'user.name': ' "Ada, Lovelace"; ', 'user.email': " <'ada@example.com'>, " }, tz: 'UTC' },
    { name: 'angle brackets inside', config: { 'user.name': 'Ada <the> Countess', 'user.email': 'ada@ex<ample>.com.' }, tz: 'UTC' },
    { name: 'characters past ASCII', config: { 'user.name': 'Zoë Ünïcödé 李', 'user.email': 'zoë@exämple.com' }, tz: 'UTC' },
    { name: 'a backslash and quote kept inside', config: { 'user.name': "O'Brien \\ Sons", 'user.email': 'ob@example.com' }, tz: 'UTC' },
    { name: 'committer.* over user.*', config: { 'committer.name': 'Bot', 'committer.email': 'bot@example.com' }, tz: 'UTC' },
    { name: 'committer.name alone', config: { 'committer.name': 'Half Bot' }, tz: 'UTC' },
    { name: 'an empty committer.* (user.* then)', config: { 'committer.name': '', 'committer.email': '' }, tz: 'UTC' },
    { name: 'dots at the ends', config: { 'user.name': '...J. R. R.', 'user.email': '.jrr@example.org.' }, tz: 'UTC' },
    { name: 'half-hour zone ahead', config: {}, tz: 'Asia/Kolkata' },
    { name: 'zone behind', config: {}, tz: 'America/St_Johns' },
    { name: 'quarter-hour zone', config: {}, tz: 'Asia/Kathmandu' },
  ])('the committer composed is git’s: $name ($tz)', async ({ config, tz }) => {
    process.env.TZ = tz;
    const repo = TempRepo.create();
    for (const [key, value] of Object.entries(config)) repo.git('config', key, value);
    const ours = committerIdent(await readRepositorySettings(repo.dir));
    const gits = git(repo.dir, ['var', 'GIT_COMMITTER_IDENT']);
    expect(gits.code).toBe(0);
    expect(ours).not.toBeNull();
    expect(withoutTime(ours)).toBe(withoutTime(gits.out));
    expect(Math.abs(Number(ours!.split(' ').at(-2)) - Number(gits.out.split(' ').at(-2)))).toBeLessThanOrEqual(2);
  });

  it('leaves git to answer what the settings do not say alone', async () => {
    const repo = TempRepo.create();
    const settings = await readRepositorySettings(repo.dir);
    expect(committerIdent(settings)).not.toBeNull();
    // The environment has a say: git would take its name, or its date.
    expect(committerIdent(settings, { GIT_COMMITTER_NAME: 'Env' })).toBeNull();
    expect(committerIdent(settings, { GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z' })).toBeNull();
    // Nothing but punctuation: git refuses the name (exit 128); ours leaves it to git.
    repo.git('config', 'user.name', '<>;');
    expect(committerIdent(await readRepositorySettings(repo.dir))).toBeNull();
    expect(git(repo.dir, ['var', 'GIT_COMMITTER_IDENT']).code).toBe(128);
    // No user in any configuration: git would guess from the system.
    const empty = join(tempDir(), 'gitconfig');
    writeFileSync(empty, '');
    process.env.GIT_CONFIG_GLOBAL = empty;
    const bare = TempRepo.create();
    expect(committerIdent(await readRepositorySettings(bare.dir))).toBeNull();
  });

  it.each([
    { name: 'no origin', config: [] as [string, string][] },
    { name: 'an origin', config: [['remote.origin.url', 'https://example.com/team/shop.git']] as [string, string][] },
    {
      name: 'two values, the last wins',
      config: [
        ['remote.origin.url', 'https://example.com/first.git'],
        ['remote.origin.url', 'git@example.com:team/second.git'],
      ] as [string, string][],
    },
    { name: 'another remote’s casing', config: [['remote.Origin.url', 'https://example.com/other.git']] as [string, string][] },
    { name: 'an empty URL', config: [['remote.origin.url', '']] as [string, string][] },
  ])('the origin URL is what `git config --get remote.origin.url` gives: $name', async ({ config }) => {
    const repo = TempRepo.create();
    for (const [key, value] of config) repo.git('config', '--add', key, value);
    const gits = git(repo.dir, ['config', '--get', 'remote.origin.url']);
    expect((await readRepositorySettings(repo.dir)).originUrl).toBe(gits.code === 0 && gits.out.trim() !== '' ? gits.out.trim() : null);
  });

  it('every notes.rewriteRef value, as `git config --get-all` lists them', async () => {
    const repo = TempRepo.create();
    expect((await readRepositorySettings(repo.dir)).notesRewriteRefs).toEqual([]);
    repo.git('config', '--add', 'notes.rewriteRef', 'refs/notes/commits');
    repo.git('config', '--add', 'notes.rewriteref', 'refs/notes/paceflow');
    expect((await readRepositorySettings(repo.dir)).notesRewriteRefs).toEqual(
      git(repo.dir, ['config', '--get-all', 'notes.rewriteRef']).out.split('\n'),
    );
    expect((await readRepositorySettings(repo.dir)).notesRewriteRefs).toEqual(['refs/notes/commits', 'refs/notes/paceflow']);
  });

  it('parses values with newlines and keys set without a value', () => {
    expect(parseSettings('user.name\nTwo\nLines\0notes.rewriteref\0user.email\nx@example.com\0user.email\ny@example.com\0')).toEqual({
      originUrl: null,
      notesRewriteRefs: [''],
      userName: 'Two\nLines',
      userEmail: 'y@example.com',
      committerName: null,
      committerEmail: null,
    });
  });
});
