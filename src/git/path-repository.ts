import { existsSync, readFileSync, realpathSync, type Stats, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Database } from '../db/driver.js';
import { ROOT_COMMITS_ARGS, earliestRoot, normalizeRemoteUrl } from './repository.js';
import { gitSync } from './run.js';

export interface ResolvedPath {
  repoId: string;
  /** The work tree the path is in (a linked worktree's own root). */
  workTree: string;
  /** The main work tree of the repository (worktrees share it). */
  mainRoot: string;
  /** Repo-relative POSIX path; '' for the root itself. */
  path: string;
}

interface WorkTree {
  workTree: string;
  mainRoot: string;
  commonDir: string;
}

/**
 * Maps absolute paths from session transcripts (a cwd, an edited file) to a repository and a
 * repo-relative path. Subdirectories, linked worktrees and files that no longer exist resolve
 * through the nearest existing directory; everything is cached, and git runs once per repository.
 */
export class PathRepositoryResolver {
  private readonly treeByDir = new Map<string, WorkTree | null>();
  private readonly idByRoot = new Map<string, string | null>();
  /** Work tree and canonical directory per directory: transcripts repeat directories. */
  private readonly byDir = new Map<string, { tree: WorkTree | null; canonicalDir: string }>();
  /**
   * The directory a path is read in: the path itself when it is a directory (a session's cwd),
   * else its parent (an edited file). A cwd keyed by its parent took the work tree of the first
   * sibling resolved: ~/code/two after ~/code/one had none (paths outside the tree are null).
   */
  private readonly dirOf = new Map<string, string>();

  constructor(private readonly db?: Database) {}

  /**
   * The id git's ingest gave the repository at `commonDir` (its `.git`) this run: its commits are
   * stored under that id, and a transcript in it (or in another of its work trees) takes the same
   * one without asking git — a `git config` started from the main thread, ~15–25 ms of the hooks'
   * worker run after each AI-written commit. Where repoIdOf would ask, the two agree: the origin's
   * URL, else the id recorded for the work tree, else HEAD's earliest root commit (git's ingest
   * also leaves out a shallow clone's cut-off commits, which are no roots).
   */
  knowRepository(commonDir: string, repoId: string): void {
    if (basename(commonDir) !== '.git') return;
    try {
      this.idByRoot.set(realpathSync(dirname(commonDir)), repoId);
    } catch {
      // gone: resolved as any other
    }
  }

  resolve(absPath: string | null | undefined): ResolvedPath | null {
    if (!absPath || !isAbsolute(absPath)) return null;
    let dir = this.dirOf.get(absPath);
    if (dir === undefined) {
      dir = isDirectory(absPath) ? absPath : dirname(absPath);
      this.dirOf.set(absPath, dir);
    }
    let entry = this.byDir.get(dir);
    if (!entry) {
      entry = { tree: this.workTreeOf(dir), canonicalDir: canonicalPath(dir) };
      this.byDir.set(dir, entry);
    }
    const tree = entry.tree;
    if (!tree) return null;
    const repoId = this.repoIdOf(tree);
    if (!repoId) return null;
    const name = dir === absPath ? '' : absPath.slice(dir.endsWith(sep) ? dir.length : dir.length + 1);
    const rel = relative(tree.workTree, name === '' ? entry.canonicalDir : join(entry.canonicalDir, name));
    if (rel.startsWith('..') || isAbsolute(rel)) return null;
    return { repoId, workTree: tree.workTree, mainRoot: tree.mainRoot, path: rel.split(sep).join('/') };
  }

  private workTreeOf(absPath: string): WorkTree | null {
    let dir = nearestExistingDirectory(absPath);
    const visited: string[] = [];
    let found: WorkTree | null = null;
    while (dir) {
      const cached = this.treeByDir.get(dir);
      if (cached !== undefined) {
        found = cached;
        break;
      }
      visited.push(dir);
      const tree = workTreeAt(dir);
      if (tree) {
        found = tree;
        break;
      }
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
    for (const v of visited) this.treeByDir.set(v, found);
    return found;
  }

  private repoIdOf(tree: WorkTree): string | null {
    const cached = this.idByRoot.get(tree.mainRoot);
    if (cached !== undefined) return cached;
    const remote = gitSync(['config', '--get', 'remote.origin.url'], tree.workTree);
    let id = remote ? normalizeRemoteUrl(remote) : null;
    if (!id && this.db) {
      const known = this.db
        .prepare(`SELECT repo_id FROM metadata_repositories WHERE root_path IN (?, ?) AND instr(repo_id, '/') = 0`)
        .get<{ repo_id: string }>([tree.mainRoot, tree.workTree]);
      id = known?.repo_id ?? null;
    }
    if (!id) {
      id = earliestRoot(gitSync(ROOT_COMMITS_ARGS('HEAD'), tree.workTree) ?? '');
    }
    this.idByRoot.set(tree.mainRoot, id);
    return id;
  }
}

function canonicalPath(absPath: string): string {
  const existing = nearestExistingDirectory(absPath);
  if (!existing) return absPath;
  try {
    const real = realpathSync(existing);
    const rest = relative(existing, absPath);
    return rest === '' ? real : join(real, rest);
  } catch {
    return absPath;
  }
}

/**
 * The path's stats, or undefined when nothing is there. Transcripts name files of other machines
 * and files since deleted: a missing path is the common case, and a throw per path (the error,
 * its message and stack) cost ~10 µs against ~3 µs for the stat (node 20). A path through a file
 * (ENOTDIR) still throws: none is there either.
 */
function statOf(absPath: string): Stats | undefined {
  try {
    return statSync(absPath, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

function isDirectory(absPath: string): boolean {
  return statOf(absPath)?.isDirectory() ?? false;
}

function nearestExistingDirectory(absPath: string): string | null {
  let dir = absPath;
  for (;;) {
    try {
      if (statOf(dir)?.isDirectory()) return realpathSync(dir);
    } catch {
      // gone between the stat and the real path: try the parent
    }
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** The work tree rooted at `dir`, if `dir` holds a `.git` directory or a `.git` file. */
function workTreeAt(dir: string): WorkTree | null {
  const dotGit = join(dir, '.git');
  const stat = statOf(dotGit);
  if (!stat) return null;
  if (stat.isDirectory()) return { workTree: dir, mainRoot: dir, commonDir: dotGit };
  // A linked worktree or a submodule: ".git" is a file naming the git directory.
  const m = /^gitdir:\s*(.+?)\s*$/m.exec(readFileSync(dotGit, 'utf8'));
  if (!m) return null;
  const gitDir = resolve(dir, m[1]!);
  const commondirFile = join(gitDir, 'commondir');
  if (existsSync(commondirFile)) {
    const commonDir = resolve(gitDir, readFileSync(commondirFile, 'utf8').trim());
    return { workTree: dir, mainRoot: dirname(commonDir), commonDir };
  }
  return { workTree: dir, mainRoot: dir, commonDir: gitDir };
}
