import { gitText, runGit, type GitOptions } from './run.js';

export const PACEFLOW_NOTES_REF = 'refs/notes/paceflow';
export const GIT_AI_NOTES_REF = 'refs/notes/ai';
/** The notes refs paceflow reads: its own, then git-ai's. */
export const NOTES_REFS = [PACEFLOW_NOTES_REF, GIT_AI_NOTES_REF] as const;

/** A note's text as git keeps it (`git notes add` cleans it so): trailing whitespace trimmed, one final newline. */
export function storedNoteText(text: string): string {
  return `${text.replace(/[ \t]+$/gm, '').replace(/\n*$/, '')}\n`;
}

/** The notes commit each of `refs` points at (absent refs are left out); one git process. */
export async function notesRefTips(cwd: string, refs: readonly string[]): Promise<Map<string, string>> {
  const out = await gitText(['for-each-ref', '--format=%(refname)%00%(objectname)', ...refs], { cwd });
  const tips = new Map<string, string>();
  for (const line of out.split('\n')) {
    const [ref, sha] = line.split('\0');
    if (ref && sha && refs.includes(ref)) tips.set(ref, sha);
  }
  return tips;
}

/** Every note of a notes ref, by annotated commit; an absent ref gives an empty map. */
export async function readNotes(cwd: string, ref: string, options: Partial<GitOptions> = {}): Promise<Map<string, string>> {
  const { stdout, code } = await runGit(['notes', `--ref=${ref}`, 'list'], { ...options, cwd, okCodes: [1, 128] });
  const notes = new Map<string, string>();
  if (code !== 0) return notes;
  const pairs = stdout
    .toString('latin1')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ') as [string, string]);
  if (pairs.length === 0) return notes;
  // One cat-file for all blobs: "<sha> blob <size>\n<content>\n" each.
  const { stdout: batch } = await runGit(['cat-file', '--batch'], {
    ...options,
    cwd,
    input: `${pairs.map(([blob]) => blob).join('\n')}\n`,
  });
  let offset = 0;
  for (const [, commit] of pairs) {
    const headerEnd = batch.indexOf(0x0a, offset);
    const header = batch.toString('latin1', offset, headerEnd).split(' ');
    const size = Number(header[2]);
    if (header[1] !== 'blob' || !Number.isFinite(size)) break;
    notes.set(commit, batch.toString('utf8', headerEnd + 1, headerEnd + 1 + size));
    offset = headerEnd + 1 + size + 1;
  }
  return notes;
}

/**
 * Adds or replaces the notes of many commits in one `git fast-import` (one notes commit on top of
 * the ref, fanout as git notes keeps it), instead of a `git notes add` per commit. The committer is
 * git's configured identity, else paceflow. The text is stored as `git notes add` stores it:
 * trailing whitespace trimmed, one final newline.
 *
 * With `expectedTip` (the ref's tip as this run read it; null: absent), the commit is built on that
 * tip and fast-import says which commit it made (`get-mark`): it updates the ref only if the ref
 * still is that tip or one of its ancestors, so nothing of another writer's is lost, and a
 * commit's notes write is one git process instead of three (a `rev-parse` before, a `rev-list`
 * after: ~15 ms each of the worker's run after every AI-written commit). When the ref moved
 * elsewhere meanwhile, fast-import leaves it (exit 1) and the write goes again on the tip it finds;
 * so it does when that tip is not in the repository at all (exit 128).
 */
export async function writeNotesBatch(
  cwd: string,
  ref: string,
  notes: readonly { commit: string; text: string }[],
  expectedTip?: string | null,
  counted: Pick<GitOptions, 'onSpawn'> = {},
  /** The committer, as `git var GIT_COMMITTER_IDENT` would give it (src/git/settings.ts); null: ask git. */
  knownCommitter: string | null = null,
): Promise<NotesWrite | null> {
  if (notes.length === 0) return null;
  const [ident, found] = await Promise.all([
    knownCommitter === null ? runGit(['var', 'GIT_COMMITTER_IDENT'], { cwd, okCodes: [128], ...counted }) : null,
    expectedTip === undefined ? runGit(['rev-parse', '--verify', '--quiet', `${ref}^0`], { cwd, okCodes: [1], ...counted }) : null,
  ]);
  const committer =
    knownCommitter ??
    (ident!.code === 0 ? ident!.stdout.toString('utf8').trim() : `paceflow <paceflow@localhost> ${Math.floor(Date.now() / 1000)} +0000`);
  const data = (text: string) => `data ${Buffer.byteLength(text)}\n${text}\n`;
  const message = `Notes added by paceflow (${notes.length})\n`;
  const body = notes.map((note) => `N inline ${note.commit}\n${data(storedNoteText(note.text))}`).join('');
  if (expectedTip !== undefined) {
    const from = expectedTip ? `from ${expectedTip}\n` : '';
    const made = await runGit(['fast-import', '--quiet', '--done', '--cat-blob-fd=1'], {
      cwd,
      ...counted,
      input: `commit ${ref}\nmark :1\ncommitter ${committer}\n${data(message)}${from}${body}\nget-mark :1\ndone\n`,
      // 1: the ref moved elsewhere; 128: the tip is not here at all (a database restored beside
      // another clone, a ref deleted and pruned since). Either way the write goes the long way.
      okCodes: [1, 128],
    });
    const after = made.stdout.toString('latin1').trim();
    if (made.code === 0 && /^[0-9a-f]{40,64}$/.test(after)) return { before: expectedTip, after, parent: expectedTip };
    return writeNotesBatch(cwd, ref, notes, undefined, counted, committer);
  }
  const before = found!.code === 0 ? found!.stdout.toString('utf8').trim() : null;
  const stream = `commit ${ref}\ncommitter ${committer}\n${data(message)}${before ? `from ${ref}^0\n` : ''}${body}`;
  await runGit(['fast-import', '--quiet', '--done'], { cwd, input: `${stream}\ndone\n`, ...counted });
  // The commit made and its parent: the ref as fast-import found it, which another writer may have
  // moved since `before` was read.
  const [after = '', parent = null] = (await gitText(['rev-list', '--parents', '-n', '1', ref], { cwd, ...counted })).trim().split(' ');
  return { before, after, parent };
}

/** What a notes write did to its ref: the tip it found (null: none), the commit it made and that commit's parent. */
export interface NotesWrite {
  before: string | null;
  after: string;
  parent: string | null;
}

/**
 * Makes `git commit --amend` and `git rebase` carry paceflow notes to the rewritten commits
 * (git's own notes.rewriteRef mechanism; added once to the repository's config).
 */
export async function ensureNotesFollowRewrites(
  cwd: string,
  ref = PACEFLOW_NOTES_REF,
  counted: Pick<GitOptions, 'onSpawn'> = {},
  /** notes.rewriteRef's values as the run read them (src/git/settings.ts); absent: ask git. */
  known?: readonly string[],
): Promise<boolean> {
  const values =
    known ??
    (await runGit(['config', '--get-all', 'notes.rewriteRef'], { cwd, okCodes: [1], ...counted })).stdout.toString('utf8').split('\n');
  if (values.includes(ref)) return false;
  await gitText(['config', '--add', 'notes.rewriteRef', ref], { cwd, ...counted });
  return true;
}
