import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { GitError, NotAGitRepositoryError } from '../errors.js';
import { NOTES_REFS } from './notes.js';
import { gitText, runGit, type GitOptions } from './run.js';

export interface RepositoryLocation {
  /** Absolute work-tree root. */
  root: string;
  /** The .git directory shared by all worktrees. */
  commonDir: string;
  isShallow: boolean;
  /**
   * The commit HEAD pointed at when located (null: unborn); absent when not known (listRefs then
   * asks git itself). A location kept while HEAD moves is stale: locate again for each run.
   */
  head?: string | null;
}

/** Finds the repository containing `cwd` and the commit its HEAD is at; one git call. */
export async function locateRepository(cwd: string, env?: NodeJS.ProcessEnv): Promise<RepositoryLocation> {
  if (!existsSync(cwd)) throw new GitError(`directory does not exist: ${cwd}`);
  if (!statSync(cwd).isDirectory()) throw new GitError(`not a directory: ${cwd}`);
  if (!mayBeInRepository(cwd, env ?? process.env)) throw new NotAGitRepositoryError(`not inside a git repository: ${cwd}`);
  let out: string;
  let headCode: number;
  try {
    // HEAD in the same process (--verify applies to the one revision; 1: unborn, nothing printed).
    const result = await runGit(
      ['rev-parse', '--show-toplevel', '--git-common-dir', '--is-shallow-repository', '--verify', '--quiet', 'HEAD^{commit}'],
      { cwd, okCodes: [1], ...(env ? { env } : {}) },
    );
    out = result.stdout.toString('utf8').replace(/\n$/, '');
    headCode = result.code;
  } catch (error) {
    if (error instanceof NotAGitRepositoryError) {
      throw new NotAGitRepositoryError(`not inside a git repository: ${cwd}`, error.args, error.stderr, error.code);
    }
    if (error instanceof GitError && /bare repository|must be run in a work tree/i.test(error.stderr)) {
      throw new NotAGitRepositoryError(`a bare repository has no work tree to analyse: ${cwd}`);
    }
    throw error;
  }
  const lines = out.split('\n');
  let [root, commonDir, shallow] = lines;
  let head = headCode === 0 ? (lines[3] ?? null) : null;
  if (lines.length !== (headCode === 0 ? 4 : 3)) {
    // A path with a newline in it: one value per git call, so no line can be mistaken for another.
    const one = (flag: string) => gitText(['rev-parse', flag], { cwd, ...(env ? { env } : {}) });
    [root, commonDir, shallow] = await Promise.all([one('--show-toplevel'), one('--git-common-dir'), one('--is-shallow-repository')]);
    head = null;
  }
  if (!root || !commonDir) throw new NotAGitRepositoryError(`not inside a git work tree: ${cwd}`);
  return {
    root,
    commonDir: isAbsolute(commonDir) ? commonDir : resolve(cwd, commonDir),
    isShallow: shallow === 'true',
    // After the fallback, HEAD is asked by listRefs (a sha never has a newline; the paths did).
    ...(lines.length === (headCode === 0 ? 4 : 3) ? { head } : {}),
  };
}

/**
 * False only when git certainly finds no repository: no GIT_DIR, and no `.git` (work tree) or
 * `HEAD` (bare repository) in cwd or any folder above it. Saves spawning git outside repositories.
 */
function mayBeInRepository(cwd: string, env: NodeJS.ProcessEnv): boolean {
  if (env.GIT_DIR) return true;
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git')) || existsSync(join(dir, 'HEAD'))) return true;
    if (dirname(dir) === dir) return false;
  }
}

/** Commits whose parents a shallow clone cut off (the `shallow` file of the common dir). */
export function shallowBoundary(location: RepositoryLocation): Set<string> {
  if (!location.isShallow) return new Set();
  const file = resolve(location.commonDir, 'shallow');
  if (!existsSync(file)) return new Set();
  return new Set(
    readFileSync(file, 'latin1')
      .split('\n')
      .filter((l) => /^[0-9a-f]{40,64}$/.test(l)),
  );
}

/** A remote URL with any user name or password removed (it may be stored). */
export function redactRemoteUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1');
}

/**
 * The stable, machine-independent form of a remote URL: host and path, lower case, without
 * scheme, credentials, default port or `.git`. Local paths and file:// URLs have none (null).
 */
export function normalizeRemoteUrl(url: string): string | null {
  const trimmed = url.trim();
  let host: string;
  let path: string;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\/(?:[^@/]*@)?([^/:]+)(?::(\d+))?(\/.*)?$/i.exec(trimmed);
  const scp = /^(?:[^@/]+@)?([^/:]+):(?!\/\/)(.+)$/.exec(trimmed);
  if (scheme) {
    if (scheme[1]!.toLowerCase() === 'file') return null;
    host = scheme[2]!;
    const port = scheme[3];
    if (port && !['22', '80', '443', '9418'].includes(port)) host += `:${port}`;
    path = scheme[4] ?? '';
  } else if (scp && !isAbsolute(trimmed) && !/^[a-z]:[\\/]/i.test(trimmed)) {
    host = scp[1]!;
    path = scp[2]!;
  } else {
    return null;
  }
  path = path
    .replace(/^\/+/, '')
    .replace(/\/+$/, '')
    .replace(/\.git$/i, '')
    .replace(/^~/, '');
  if (path === '') return null;
  return `${host}/${path}`.toLowerCase();
}

export interface RefTip {
  /** Full name: 'refs/heads/main', 'refs/remotes/origin/main', 'refs/tags/v1', or 'HEAD'. */
  name: string;
  /** The commit it points at (annotated tags peeled). */
  sha: string;
}

// Pull-request heads as GitHub lays them out: git fetch origin '+refs/pull/*/head:refs/pull/*/head'.
const WALKED_REFS = ['refs/heads/', 'refs/remotes/', 'refs/tags/', 'refs/pull/'];
/** Under refs/pull/ only the heads are history; `refs/pull/N/merge` is GitHub's trial merge, never landed. */
const isWalked = (name: string) => !name.startsWith('refs/pull/') || /^refs\/pull\/[^/]+\/head$/.test(name);

/** What git says of the object a ref names: its type and, for an annotated tag, what it peels to. */
export interface RefObject {
  type: string;
  /** The object a tag peels to (through tags of tags); the object itself for any other type. */
  peeled: string;
  peeledType: string;
}

/** What one `git for-each-ref` (and, for objects not known yet, one `git cat-file`) tells a run about the repository's refs. */
export interface RefListing {
  /** Every walked ref at a commit, plus HEAD (see listRefs). */
  tips: RefTip[];
  /** The branch refs/remotes/origin/HEAD names ('main' for refs/remotes/origin/main), or null. */
  originHead: string | null;
  /** The notes commit each of paceflow's and git-ai's notes refs points at (absent refs left out). */
  notes: Map<string, string>;
  /** The object of every walked ref, by sha: what the next run passes back as `known`. */
  objects: Map<string, RefObject>;
  /** Walked refs whose object, or the object their tag points at, this clone does not have (a partial or damaged clone): not tips. */
  missing: { ref: string; object: string; reason: string }[];
}

/**
 * Every branch, remote-tracking branch, tag and pull-request head (`refs/pull/N/head`) that points
 * at a commit, plus HEAD (`head` when the caller located it, else asked here); with origin/HEAD's
 * target and the notes refs' tips from the same `for-each-ref` — a run with nothing new starts
 * this one git process for all three, not three (#20: the nothing-new re-run). Notes, stash and
 * other internal refs are not history and are not tips. A dangling origin/HEAD (its target gone)
 * is one git leaves out of the listing: no origin/HEAD then, as for none.
 *
 * The listing holds names and shas only: asking for-each-ref for each object's type and peeled
 * tag reads every object from the pack (git's own history, 1,018 refs: 26 ms of git against 6 ms,
 * and the run waited for it). An object's type never changes, so what the caller knows of a sha
 * (`known`: the objects the last run listed, the commits it recorded) is not asked again, nor is
 * HEAD's commit; only new objects are asked of git — one `git cat-file --batch-check`, each object
 * and its peel (`<sha>^{}`). An object git does not have is a
 * missing ref, not a failure: for-each-ref asked for its type died on it, and the run with it.
 */
export async function listRefs(
  cwd: string,
  head?: string | null,
  known: (sha: string) => RefObject | undefined = () => undefined,
): Promise<RefListing> {
  const format = '--format=%(refname)%00%(objectname)%00%(symref)';
  // Both at once when HEAD is still to ask: each is a few milliseconds of git's start-up.
  const [out, headSha] = await Promise.all([
    gitText(['for-each-ref', format, ...WALKED_REFS, ...NOTES_REFS], { cwd }),
    head !== undefined
      ? head
      : runGit(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], { cwd, okCodes: [1, 128] }).then((r) =>
          r.code === 0 ? r.stdout.toString('latin1').trim() || null : null,
        ),
  ]);
  const listing: RefListing = { tips: [], originHead: null, notes: new Map(), objects: new Map(), missing: [] };
  const walked: { name: string; sha: string }[] = [];
  for (const line of out.split('\n')) {
    if (line === '') continue;
    const [name, sha, symref] = line.split('\0');
    if (!name || !sha) continue;
    if ((NOTES_REFS as readonly string[]).includes(name)) {
      listing.notes.set(name, sha);
      continue;
    }
    if (name === 'refs/remotes/origin/HEAD' && symref?.startsWith('refs/remotes/origin/')) {
      listing.originHead = symref.slice('refs/remotes/origin/'.length);
    }
    if (name.endsWith('/HEAD') || !isWalked(name) || name.startsWith('refs/notes/')) continue;
    walked.push({ name, sha });
  }
  // The commit HEAD is at is one: a branch just committed to, amended or rebased names it, and
  // the run after a commit (the hooks' worker) asks git nothing more.
  const headObject: RefObject | undefined = headSha ? { type: 'commit', peeled: headSha, peeledType: 'commit' } : undefined;
  const knownObject = (sha: string) => (sha === headSha ? headObject : known(sha));
  const asked = await refObjects(
    cwd,
    walked.map((r) => r.sha).filter((sha) => !knownObject(sha)),
  );
  for (const { name, sha } of walked) {
    const object = knownObject(sha) ?? asked.get(sha);
    if (!object || object.peeledType === 'missing') {
      const reason = object ? `tag ${sha} points at an object missing from this clone` : `object ${sha} is missing from this clone`;
      listing.missing.push({ ref: name, object: sha, reason });
      continue;
    }
    listing.objects.set(sha, object);
    if (object.peeledType === 'commit') listing.tips.push({ name, sha: object.peeled });
  }
  if (headSha) listing.tips.push({ name: 'HEAD', sha: headSha });
  return listing;
}

/**
 * Each object's type and peel, from one `git cat-file --batch-check`; objects git lacks are left
 * out, and a tag whose target it lacks has the peeled type 'missing' (listRefs reports its ref
 * and keeps nothing of it: the target may come with the next fetch).
 */
async function refObjects(cwd: string, shas: readonly string[]): Promise<Map<string, RefObject>> {
  const objects = new Map<string, RefObject>();
  const unique = [...new Set(shas)];
  if (unique.length === 0) return objects;
  const input = unique.map((sha) => `${sha}\n${sha}^{}\n`).join('');
  const out = await gitText(['cat-file', '--batch-check=%(objectname) %(objecttype)'], { cwd, input });
  const lines = out.split('\n');
  unique.forEach((sha, i) => {
    // "<sha> <type>", or "<what was asked> missing".
    const [object, type] = (lines[2 * i] ?? '').split(' ');
    const [peeled, peeledType] = (lines[2 * i + 1] ?? '').split(' ');
    if (object !== sha || !type || type === 'missing') return;
    const found = peeled !== undefined && peeledType !== undefined && peeledType !== 'missing';
    objects.set(sha, found ? { type, peeled, peeledType } : { type, peeled: '', peeledType: 'missing' });
  });
  return objects;
}

/**
 * The root commit of HEAD's history that identifies a repository without a remote. Commits at a
 * shallow clone's cut-off look like roots but are not; they are used only when nothing else is.
 */
export async function earliestRootCommit(
  cwd: string,
  tips: readonly RefTip[],
  shallowCutOff: ReadonlySet<string> = new Set(),
): Promise<string | null> {
  if (tips.length === 0) return null;
  const head = tips.find((t) => t.name === 'HEAD') ?? tips[0]!;
  const out = await gitText(ROOT_COMMITS_ARGS(head.sha), { cwd });
  return earliestRoot(out, shallowCutOff);
}

export const ROOT_COMMITS_ARGS = (rev: string) => ['rev-list', '--max-parents=0', '--format=%ct %H', '--no-commit-header', rev];

/** The earliest root in `git rev-list --max-parents=0 --format='%ct %H'` output (ties by sha). */
export function earliestRoot(output: string, shallowCutOff: ReadonlySet<string> = new Set()): string | null {
  const roots = output
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ') as [string, string])
    .sort((a, b) => Number(a[0]) - Number(b[0]) || a[1].localeCompare(b[1]));
  return (roots.find((r) => !shallowCutOff.has(r[1])) ?? roots[0])?.[1] ?? null;
}

export type MainlineSource = 'config' | 'origin_head' | 'main' | 'master' | 'current';

export interface Mainline {
  branch: string;
  source: MainlineSource;
}

/** The mainline: the configured branch, else origin/HEAD, else main or master, else HEAD's branch. */
export async function detectMainline(
  cwd: string,
  tips: readonly RefTip[],
  configured: string | undefined,
  /** originHead(cwd), when the caller started it beside other git processes. */
  origin: Promise<string | null> = originHead(cwd),
): Promise<Mainline | null> {
  if (configured) return { branch: configured, source: 'config' };
  const fromOrigin = await origin;
  if (fromOrigin !== null) return { branch: fromOrigin, source: 'origin_head' };
  const names = new Set(tips.map((t) => t.name));
  for (const candidate of ['main', 'master'] as const) {
    if (names.has(`refs/heads/${candidate}`) || names.has(`refs/remotes/origin/${candidate}`)) {
      return { branch: candidate, source: candidate };
    }
  }
  const current = await runGit(['symbolic-ref', '--quiet', '--short', 'HEAD'], { cwd, okCodes: [1, 128] });
  const branch = current.stdout.toString('utf8').trim();
  return current.code === 0 && branch ? { branch, source: 'current' } : null;
}

/** The branch origin/HEAD names ('main' for refs/remotes/origin/main), or null. */
export async function originHead(cwd: string): Promise<string | null> {
  const result = await runGit(['symbolic-ref', '--quiet', 'refs/remotes/origin/HEAD'], { cwd, okCodes: [1, 128] });
  const target = result.stdout.toString('utf8').trim();
  return result.code === 0 && target.startsWith('refs/remotes/origin/') ? target.slice('refs/remotes/origin/'.length) : null;
}

export type { GitOptions };
