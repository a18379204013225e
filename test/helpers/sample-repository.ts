import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClaudeTranscript } from './claude-lines.js';
import { TempRepo, tempDir } from './git-repo.js';
import { emptySessionHome, type SessionHome } from './sessions.js';

/** Seconds after TempRepo's base time (2026-01-05T09:00Z) of a UTC time. */
export const at = (iso: string) => Date.parse(iso) / 1000 - Date.parse('2026-01-05T09:00:00Z') / 1000;

export interface SampleRepository {
  repo: TempRepo;
  home: SessionHome;
  db: string;
  /** The commits by name. */
  commits: Record<'root' | 'login' | 'logout' | 'merge' | 'beta' | 'revert' | 'widen' | 'unicode' | 'side', string>;
}

/**
 * The fixed repository the read-out snapshots run on (DESIGN §8: fixed user, branch and dates): a
 * Claude Code session that wrote login.py (transcript attribution), a commit with a Claude trailer,
 * a merged pull request, a human commit and its revert, a squash-style `(#9)` commit that changes an
 * AI line within the churn window, a subject in Japanese and German, an aider-authored side branch,
 * and a session with a rejected edit, a repeated failing command and a pasted error. Every time is
 * in January–February 2026, so windows are closed whatever today is.
 */
export function sampleRepository(): SampleRepository {
  // A folder named `sample`: the repository's name in every output, whatever the temp folder is.
  const top = join(tempDir('paceflow-sample-'), 'sample');
  mkdirSync(top);
  const repo = TempRepo.create({ dir: top });
  const home = emptySessionHome();
  const db = join(tempDir('paceflow-db-'), 'paceflow.db');
  const f = (name: string) => join(repo.dir, name);
  const root = repo
    .write('README.md', '# sample\n')
    .write('a.py', 'def alpha():\n    return compute_alpha_value()\n')
    .commit('initial', { at: at('2026-01-20T09:00:00Z') });

  const login = 'def login(user):\n    token = issue_token(user)\n    audit_log(user, token)\n    return token\n';
  const t = new ClaudeTranscript('5a3f7e10-0000-4000-8000-00000000a001', repo.dir, 'feature/ABC-12-login');
  t.prompt('add a login function that issues a token and audits it')
    .write('toolu_login', f('login.py'), login)
    .toolUse('toolu_reject', 'Write', { file_path: f('notes.txt'), content: 'scratch notes about the login flow\n' })
    .toolResult('toolu_reject', {
      isError: true,
      content: "The user doesn't want to proceed with this tool use. The tool use was rejected.",
    })
    .bash('toolu_t1', 'pytest tests/test_login.py', false)
    .bash('toolu_t2', 'pytest tests/test_login.py', false)
    .prompt(
      'Traceback (most recent call last):\n  File "tests/test_login.py", line 3, in <module>\nImportError: cannot import name issue_token',
    )
    .bash('toolu_t3', 'pytest tests/test_login.py', true);
  const dir = join(home.claudeProjects, '-sample');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${t.sessionId}.jsonl`), t.text());

  repo.git('checkout', '-q', '-b', 'feature/ABC-12-login');
  const loginSha = repo
    .write('login.py', login)
    .write('settings.py', 'TOKEN_TTL_SECONDS = 3600\nAUDIT_LOG_PATH = "/var/log/audit"\n')
    .commit('ABC-12 add login', { at: at('2026-02-02T10:00:00Z') });
  const logout = repo
    .write('logout.py', 'def logout(user):\n    revoke_all_tokens(user)\n    audit_log(user, None)\n')
    .commit('ABC-12 add logout\n\nCo-Authored-By: Claude <noreply@anthropic.com>', { at: at('2026-02-02T10:30:00Z') });
  repo.git('checkout', '-q', 'main');
  repo
    .at(at('2026-02-02T11:00:00Z'))
    .git('merge', '-q', '--no-ff', 'feature/ABC-12-login', '-m', 'Merge pull request #7 from dev/feature/ABC-12-login');
  const merge = repo.git('rev-parse', 'HEAD');
  const beta = repo
    .write('b.py', 'def beta():\n    return compute_beta_value(42)\n')
    .commit('add beta', { at: at('2026-02-03T09:00:00Z') });
  repo.at(at('2026-02-03T09:30:00Z')).git('revert', '--no-edit', 'HEAD');
  const revert = repo.git('rev-parse', 'HEAD');
  const widen = repo
    .write('login.py', 'def login(user):\n    token = issue_token(user, scope="all")\n    audit_log(user, token)\n    return token\n')
    .commit('widen login scope (#9)', { at: at('2026-02-05T09:00:00Z') });
  const unicode = repo
    .write('i18n.py', 'GREETING_JA = "こんにちは世界"\nGREETING_DE = "Grüße an alle Größen"\n')
    .commit('Grüße: 日本語の挨拶を追加', { at: at('2026-02-06T09:00:00Z') });
  repo.git('checkout', '-q', '-b', 'side', root);
  const side = repo.write('side.py', 'value = compute_side_value()\n').commit('side work', {
    at: at('2026-02-07T09:00:00Z'),
    author: 'Dev (aider)',
  });
  repo.git('checkout', '-q', 'main');
  return { repo, home, db, commits: { root, login: loginSha, logout, merge, beta, revert, widen, unicode, side } };
}

/** Output made stable: the temp folders replaced by names. */
export function stable(text: string, sample: SampleRepository): string {
  return text.replaceAll(sample.repo.dir, '<repo>').replaceAll(sample.home.home, '<home>').replaceAll(join(sample.db, '..'), '<db>');
}

/** The clock the read-out tests run at (fixed, so every window and date in their output is too). */
export const SAMPLE_NOW = new Date('2026-11-28T12:00:00Z');

/** The sample repository, recorded once by a real `paceflow report` (history, transcript, builders). */
export async function recordedSample(now = SAMPLE_NOW): Promise<SampleRepository> {
  const { report } = await import('../../src/cli/commands/report.js');
  const sample = sampleRepository();
  await report({ cwd: sample.repo.dir, db: sample.db, env: sample.home.env, format: 'json', now });
  return sample;
}
