import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** A file git wrote holding one path, without the newline git ends it with (a path may hold others). */
function pathFile(file: string): string | null {
  try {
    return readFileSync(file, 'utf8').replace(/\n$/, '');
  } catch {
    return null;
  }
}

/** The git common dir of the work tree at `root` (its .git folder, or what a linked worktree's .git file leads to). */
function commonDirOf(root: string): string | null {
  const dotGit = join(root, '.git');
  if (!existsSync(dotGit)) return null;
  if (statSync(dotGit).isDirectory()) return dotGit;
  const gitdir = /^gitdir: (.+)$/m.exec(pathFile(dotGit) ?? '')?.[1];
  if (!gitdir) return null;
  const dir = resolve(root, gitdir);
  const common = pathFile(join(dir, 'commondir'));
  return common === null ? dir : resolve(dir, common);
}

/**
 * Every work tree of the repository whose work tree (main or linked) is at `root`: the main one
 * first, then the linked ones that still exist. Read from the files git keeps in the common dir
 * (`worktrees/<name>/gitdir`), so no git process is started.
 */
export function worktreeRoots(root: string): string[] {
  const common = commonDirOf(root);
  if (!common) return [root];
  const roots = basename(common) === '.git' ? [dirname(common)] : [];
  const linked = join(common, 'worktrees');
  for (const name of existsSync(linked) ? readdirSync(linked) : []) {
    const gitFile = pathFile(join(linked, name, 'gitdir'));
    if (!gitFile) continue;
    const worktree = dirname(resolve(linked, name, gitFile));
    if (existsSync(worktree)) roots.push(worktree);
  }
  return roots.includes(root) ? roots : [root, ...roots];
}

/** The roots of every work tree of these repositories, each once. */
export function allWorktreeRoots(roots: readonly string[]): string[] {
  return [...new Set(roots.flatMap((root) => worktreeRoots(root)))];
}
