import { StringDecoder } from 'node:string_decoder';
import { streamGit, type GitOptions } from './run.js';

export interface FilePatch {
  path: string;
  oldPath: string | null;
  /** Added lines, without the leading '+'. */
  added: string[];
  /** Removed lines, without the leading '-'. */
  removed: string[];
}

export interface CommitPatch {
  sha: string;
  files: FilePatch[];
}

/** Unquotes a path as git prints it in diff headers ("a\tb" → a<TAB>b); plain paths pass through. */
export function unquoteGitPath(raw: string): string {
  if (!raw.startsWith('"') || !raw.endsWith('"')) return raw;
  const bytes: number[] = [];
  const body = raw.slice(1, -1);
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      bytes.push(...Buffer.from(c, 'utf8'));
      continue;
    }
    const next = body[++i]!;
    const simple: Record<string, number> = { n: 10, t: 9, '"': 34, '\\': 92, a: 7, b: 8, f: 12, r: 13, v: 11 };
    if (next in simple) bytes.push(simple[next]!);
    else if (/[0-7]/.test(next)) {
      bytes.push(parseInt(body.slice(i, i + 3), 8));
      i += 2;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * The path of a `--- a/x` / `+++ b/x` header. git ends the header of a path that holds a space with
 * a TAB (so it can be split), quoted or not; a TAB inside a path is always written quoted (`\t`), so
 * a raw TAB at the end is never part of the path.
 */
export function headerPath(raw: string): string {
  return raw.endsWith('\t') ? raw.slice(0, -1) : raw;
}

/**
 * The added lines of each given commit's diff against its first parent (merges are skipped by the
 * caller), streamed from one `git log -p -U0 --no-walk`. Binary files contribute nothing.
 */
export async function* readCommitPatches(shas: readonly string[], options: Omit<GitOptions, 'input'>): AsyncGenerator<CommitPatch> {
  if (shas.length === 0) return;
  const args = [
    '-c',
    'core.quotePath=false',
    '-c',
    'log.showSignature=false',
    'log',
    '--no-walk=unsorted',
    '--stdin',
    '-p',
    '-U0',
    '-M',
    '--no-color',
    '--no-ext-diff',
    '--no-textconv',
    '--format=%x02%H',
    '--diff-merges=first-parent',
  ];
  const env = { ...(options.env ?? process.env), GIT_FLUSH: '0' };
  let carry = '';
  let current: CommitPatch | null = null;
  let file: FilePatch | null = null;
  let inHunk = false;
  const done: CommitPatch[] = [];

  const line = (text: string) => {
    if (text.startsWith('\x02')) {
      if (current) done.push(current);
      current = { sha: text.slice(1).trim(), files: [] };
      file = null;
      inHunk = false;
      return;
    }
    if (!current) return;
    if (text.startsWith('diff --git ')) {
      file = { path: '', oldPath: null, added: [], removed: [] };
      current.files.push(file);
      inHunk = false;
      return;
    }
    if (!file) return;
    if (!inHunk) {
      if (text.startsWith('rename from ')) file.oldPath = unquoteGitPath(text.slice(12));
      else if (text.startsWith('rename to ')) file.path = unquoteGitPath(text.slice(10));
      else if (text.startsWith('+++ ')) {
        const target = headerPath(text.slice(4));
        if (target !== '/dev/null') file.path = unquoteGitPath(target).replace(/^b\//, '');
        else if (file.oldPath) file.path = file.oldPath;
      } else if (text.startsWith('--- ') && !file.path) {
        const source = headerPath(text.slice(4));
        if (source !== '/dev/null' && !file.oldPath) file.oldPath = unquoteGitPath(source).replace(/^a\//, '');
      } else if (text.startsWith('@@')) inHunk = true;
      return;
    }
    if (text.startsWith('+')) file.added.push(text.slice(1));
    else if (text.startsWith('-')) file.removed.push(text.slice(1));
    else if (text.startsWith('@@')) inHunk = true;
  };

  const decoder = new StringDecoder('utf8');
  for await (const chunk of streamGit(args, { ...options, env, input: `${shas.join('\n')}\n` })) {
    const text = carry + decoder.write(chunk);
    const lines = text.split('\n');
    carry = lines.pop() ?? '';
    for (const l of lines) line(l);
    while (done.length > 0) {
      diffsRead.count++;
      yield done.shift()!;
    }
  }
  carry += decoder.end();
  if (carry) line(carry);
  if (current) done.push(current);
  while (done.length > 0) {
    diffsRead.count++;
    yield done.shift()!;
  }
}

/** Commit diffs parsed in this process (what the work-counting test and the benches read). Never reset here. */
export const diffsRead = { count: 0 };
