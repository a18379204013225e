import { runGit } from './run.js';

/**
 * The repository's settings a run reads, from one `git config` process: the origin's URL (the
 * repository's identity), the notes refs git carries through rewrites, and the names a notes
 * commit's committer is made of. Asked one at a time they were three processes after every
 * AI-written commit (`config --get remote.origin.url`, `config --get-all notes.rewriteRef`, `var
 * GIT_COMMITTER_IDENT`), each ~8 ms of node's own time to start on this kind of machine (a fork of
 * the whole process).
 */
export interface RepositorySettings {
  /** remote.origin.url (its last value, as `git config --get` gives); null when unset or empty. */
  originUrl: string | null;
  /** Every notes.rewriteRef value. */
  notesRewriteRefs: readonly string[];
  /** user.name, user.email, committer.name, committer.email (each its last value; null: unset). */
  userName: string | null;
  userEmail: string | null;
  committerName: string | null;
  committerEmail: string | null;
}

/**
 * The keys, as `--get-regexp` matches them: section and variable names lower case (git's
 * canonical form), the subsection as written — `[remote "Origin"]` is not origin, for
 * `git config --get remote.origin.url` either.
 */
const SETTINGS_KEYS = '^(remote\\.origin\\.url|notes\\.rewriteref|user\\.name|user\\.email|committer\\.name|committer\\.email)$';

export async function readRepositorySettings(cwd: string): Promise<RepositorySettings> {
  // -z: each entry is `key\nvalue\0` (`key\0` for a key set without a value): values may hold newlines.
  const { stdout, code } = await runGit(['config', '-z', '--get-regexp', SETTINGS_KEYS], { cwd, okCodes: [1] });
  return parseSettings(code === 0 ? stdout.toString('utf8') : '');
}

/** `git config -z --get-regexp` output as settings: a later value of a key wins, as git's own reads take it. */
export function parseSettings(text: string): RepositorySettings {
  const last = new Map<string, string>();
  const rewriteRefs: string[] = [];
  for (const entry of text.split('\0')) {
    if (entry === '') continue;
    const newline = entry.indexOf('\n');
    const key = newline < 0 ? entry : entry.slice(0, newline);
    const value = newline < 0 ? '' : entry.slice(newline + 1);
    if (key === 'notes.rewriteref') rewriteRefs.push(value);
    else last.set(key, value);
  }
  const url = last.get('remote.origin.url')?.trim();
  return {
    originUrl: url ? url : null,
    notesRewriteRefs: rewriteRefs,
    userName: last.get('user.name') ?? null,
    userEmail: last.get('user.email') ?? null,
    committerName: last.get('committer.name') ?? null,
    committerEmail: last.get('committer.email') ?? null,
  };
}

/**
 * The committer a commit made now is given, as `git var GIT_COMMITTER_IDENT` prints it, composed
 * from the settings when they say it alone: a name and an email set in the configuration, and no
 * GIT_COMMITTER_* variable in the environment. Anything else (a name git would take from the
 * system, a date from the environment, a name or email of nothing but punctuation, which git
 * refuses) gives null: ask git.
 */
export function committerIdent(settings: RepositorySettings, env: NodeJS.ProcessEnv = process.env, now = new Date()): string | null {
  if (env.GIT_COMMITTER_NAME !== undefined || env.GIT_COMMITTER_EMAIL !== undefined || env.GIT_COMMITTER_DATE !== undefined) return null;
  // An empty committer.* is no setting to git (it goes on to user.*); an empty user.* is one it refuses.
  const name = settings.committerName || settings.userName;
  const email = settings.committerEmail || settings.userEmail;
  if (name === null || email === null) return null;
  const cleanName = withoutCrud(name);
  const cleanEmail = withoutCrud(email);
  if (cleanName === '' || cleanEmail === '') return null;
  return `${cleanName} <${cleanEmail}> ${Math.floor(now.getTime() / 1000)} ${timezoneOffset(now)}`;
}

/** git's `crud()` (ident.c, git 2.39): what is trimmed from both ends of a name or an email. */
function isCrud(code: number): boolean {
  // ASCII control characters and space, and . , : ; < > " \ '
  return (
    code <= 32 ||
    code === 46 ||
    code === 44 ||
    code === 58 ||
    code === 59 ||
    code === 60 ||
    code === 62 ||
    code === 34 ||
    code === 92 ||
    code === 39
  );
}

/** git's `strbuf_addstr_without_crud` (ident.c): crud trimmed from both ends, then every newline, < and > dropped. */
export function withoutCrud(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isCrud(text.charCodeAt(start))) start++;
  while (end > start && isCrud(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end).replace(/[\n<>]/g, '');
}

/** The local time zone's offset at `at`, as git writes it: +HHMM / -HHMM. */
function timezoneOffset(at: Date): string {
  const minutes = -at.getTimezoneOffset();
  const abs = Math.abs(minutes);
  return `${minutes < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
}
