import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mergedBranchName, TaskKeyMatcher } from '../src/builders/task-keys.js';
import { buildTasks } from '../src/builders/tasks.js';
import { ingest } from '../src/cli/commands/ingest.js';
import { DEFAULT_TASK_KEY_EXCLUSIONS, DEFAULT_TASK_KEY_PATTERN } from '../src/config/config.js';
import { defaultConfig } from '../src/config/defaults.js';
import { openDatabase } from '../src/db/open.js';
import { rowsRead } from '../src/db/statement.js';
import { ClaudeTranscript } from './helpers/claude-lines.js';
import { TempRepo, cleanupTempDirs, tempDir } from './helpers/git-repo.js';
import { emptySessionHome } from './helpers/sessions.js';

afterAll(cleanupTempDirs);

const defaults = new TaskKeyMatcher({ taskKeyPattern: DEFAULT_TASK_KEY_PATTERN, taskKeyExclusions: DEFAULT_TASK_KEY_EXCLUSIONS });

describe('task keys', () => {
  it.each([
    ['feature/ABC-123-title', ['ABC-123']],
    ['ABC-1-and-DEF-2', ['ABC-1', 'DEF-2']],
    ['bugfix/PROJ_X-42', ['PROJ_X-42']],
    ['main', []],
    ['feature/abc-123-lowercase', []],
    ['fix CVE-2024-1234 in parser', []],
    ['use UTF-8 everywhere', []],
    ['switch to SHA-256 and ISO-8601 dates', []],
    ['ABC-0 is not a key (no zero start)', []],
    ['refs ABC-7, again ABC-7', ['ABC-7']],
  ] as const)('%j → %j', (text, keys) => {
    expect(defaults.keys(text)).toEqual(keys);
  });

  it('a pattern that admits lower case links abc-123 to ABC-123', () => {
    const lax = new TaskKeyMatcher({
      taskKeyPattern: '\\b[A-Za-z][A-Za-z0-9_]+-[1-9][0-9]*\\b',
      taskKeyExclusions: DEFAULT_TASK_KEY_EXCLUSIONS,
    });
    expect(lax.keys('feature/abc-123-lowercase')).toEqual(['ABC-123']);
    expect(lax.keys('utf-8 only')).toEqual([]);
  });

  it.each([
    ["Merge branch 'feature/ABC-1'", 'feature/ABC-1'],
    ["Merge remote-tracking branch 'origin/feature/ABC-2'", 'feature/ABC-2'],
    ['Merge pull request #12 from acme/feature/ABC-3-x', 'feature/ABC-3-x'],
    ['Add feature', null],
  ] as const)('merged branch of %j', (subject, branch) => {
    expect(mergedBranchName(subject)).toBe(branch);
  });
});

/** Seconds after the helper's base time (2026-01-05T09:00Z) at which the transcripts run. */
const SESSION_DAY = Date.parse('2026-02-01T10:00:00Z') / 1000 - Date.parse('2026-01-05T09:00:00Z') / 1000;

describe('task commits and task sessions', () => {
  it('links each session to the tasks of the commits attributed to it, when neither its branch nor its prompts name one', async () => {
    const repo = TempRepo.create();
    repo.write('README.md', '# root\n').commit('root', { at: 60 });
    const home = emptySessionHome();
    const dir = join(home.claudeProjects, '-repo');
    mkdirSync(dir, { recursive: true });
    const content = (name: string) =>
      `export const ${name}Total = computeTotalFor('${name}');\nexport const ${name}Count = countAll('${name}');\n`;
    // Three sessions on main, with prompts that name no task; each writes one file.
    const sessions = ['alpha', 'beta', 'gamma'].map((name, i) => {
      const t = new ClaudeTranscript(`dddddddd-0000-4000-8000-00000000000${i + 1}`, repo.dir, 'main').prompt(`write ${name}`);
      t.write(`toolu_${name}`, join(repo.dir, `${name}.ts`), content(name));
      writeFileSync(join(dir, `${t.sessionId}.jsonl`), t.text());
      return t;
    });
    // alpha's file lands on ABC-1's branch, beta's on DEF-2's, gamma's on main without a key.
    repo.git('checkout', '-q', '-b', 'feature/ABC-1-alpha');
    repo.write('alpha.ts', content('alpha')).commit('add alpha', { at: SESSION_DAY + 600 });
    repo.git('checkout', '-q', 'main');
    repo.git('checkout', '-q', '-b', 'feature/DEF-2-beta');
    repo.write('beta.ts', content('beta')).commit('add beta', { at: SESSION_DAY + 660 });
    repo.git('checkout', '-q', 'main');
    repo.write('gamma.ts', content('gamma')).commit('add gamma', { at: SESSION_DAY + 720 });

    const db = join(tempDir('paceflow-db-'), 'paceflow.db');
    await ingest({ cwd: repo.dir, db, env: home.env });
    const d = openDatabase(db);
    try {
      expect(
        d
          .prepare(
            `SELECT task_key, session_id, session_weight, commit_within_window, link_source FROM event_task_sessions ORDER BY task_key`,
          )
          .all(),
      ).toEqual([
        {
          task_key: 'ABC-1',
          session_id: `claude-code:${sessions[0]!.sessionId}`,
          session_weight: 1,
          commit_within_window: 1,
          link_source: 'commit',
        },
        {
          task_key: 'DEF-2',
          session_id: `claude-code:${sessions[1]!.sessionId}`,
          session_weight: 1,
          commit_within_window: 1,
          link_source: 'commit',
        },
      ]);
    } finally {
      d.close();
    }
  });

  it.each([
    ['the same second as the session’s first record, which git’s whole seconds put before it', 1, 1],
    ['the second before it', 0, 0],
  ] as const)('a commit for the task in %s: commit_within_window %i', async (_when, offset, within) => {
    const repo = TempRepo.create();
    repo.write('README.md', '# root\n').commit('root', { at: 60 });
    const home = emptySessionHome();
    const dir = join(home.claudeProjects, '-repo');
    mkdirSync(dir, { recursive: true });
    // The session's one record at 10:00:01.600 (the transcript's clock, moved into the second).
    const t = new ClaudeTranscript('dddddddd-0000-4000-8000-0000000000f1', repo.dir, 'main').prompt('plan GHI-7');
    writeFileSync(join(dir, `${t.sessionId}.jsonl`), t.text().replace('10:00:01.000Z', '10:00:01.600Z'));
    repo.write('ghi.ts', 'export const ghi = computeGhi();\n').commit('GHI-7 done', { at: SESSION_DAY + offset });
    const db = join(tempDir('paceflow-db-'), 'paceflow.db');
    await ingest({ cwd: repo.dir, db, env: home.env });
    const d = openDatabase(db);
    try {
      expect(d.prepare(`SELECT task_key, commit_within_window FROM event_task_sessions`).all()).toEqual([
        { task_key: 'GHI-7', commit_within_window: within },
      ]);
    } finally {
      d.close();
    }
  });

  it('links commits by branch, merged branch, PR title and subject, and sessions by branch and prompts', async () => {
    const repo = TempRepo.create();
    repo.write('a.txt', 'root content here\n').commit('root', { at: 60 });
    // An open branch: its commits are ABC-123's, confidently.
    repo.git('checkout', '-q', '-b', 'feature/ABC-123-login');
    const abc = repo.write('login.ts', 'export const login = doLogin();\n').commit('wip login', { at: SESSION_DAY + 600 });
    repo.git('checkout', '-q', 'main');
    // A merged and deleted branch: found through the merge subject.
    repo.git('checkout', '-q', '-b', 'feature/DEF-7');
    const def = repo.write('def.ts', 'export const def = seven();\n').commit('def work', { at: 120 });
    repo.git('checkout', '-q', 'main');
    repo.at(180).git('merge', '-q', '--no-ff', '-m', "Merge branch 'feature/DEF-7'", 'feature/DEF-7');
    repo.git('branch', '-q', '-D', 'feature/DEF-7');
    const ghi = repo.write('typo.txt', 'typo fixed here\n').commit('GHI-9 fix typo', { at: 240 });
    const jkl = repo.write('thing.txt', 'a new thing here\n').commit('Add thing for JKL-4 (#12)', { at: 300 });
    const none = repo.write('enc.txt', 'encoding switch\n').commit('switch to UTF-8 and SHA-256', { at: 360 });
    // XYZ-5 lands three days after its session.
    const xyz = repo.write('late.txt', 'late work here\n').commit('XYZ-5 finally', { at: SESSION_DAY + 3 * 86400 });

    const home = emptySessionHome();
    const dir = join(home.claudeProjects, '-repo');
    mkdirSync(dir, { recursive: true });
    const both = new ClaudeTranscript('cccccccc-0000-4000-8000-000000000001', repo.dir, 'feature/ABC-123-login').prompt(
      'also look at DEF-7 while here',
    );
    const late = new ClaudeTranscript('cccccccc-0000-4000-8000-000000000002', repo.dir, 'main').prompt('start on XYZ-5');
    const keyless = new ClaudeTranscript('cccccccc-0000-4000-8000-000000000003', repo.dir, 'main').prompt('just a question');
    for (const t of [both, late, keyless]) writeFileSync(join(dir, `${t.sessionId}.jsonl`), t.text());

    const db = join(tempDir('paceflow-db-'), 'paceflow.db');
    await ingest({ cwd: repo.dir, db, env: home.env });
    const d = openDatabase(db);
    const links = d
      .prepare(`SELECT task_key, sha, branch_name, fallback, confidence, key_source FROM event_task_commits ORDER BY task_key`)
      .all();
    expect(links).toEqual([
      { task_key: 'ABC-123', sha: abc, branch_name: 'feature/ABC-123-login', fallback: 0, confidence: 1, key_source: 'branch' },
      { task_key: 'DEF-7', sha: def, branch_name: 'feature/DEF-7', fallback: 0, confidence: 0.9, key_source: 'branch' },
      { task_key: 'GHI-9', sha: ghi, branch_name: null, fallback: 1, confidence: 0.5, key_source: 'commit_subject' },
      { task_key: 'JKL-4', sha: jkl, branch_name: null, fallback: 1, confidence: 0.7, key_source: 'pr_title' },
      { task_key: 'XYZ-5', sha: xyz, branch_name: null, fallback: 1, confidence: 0.5, key_source: 'commit_subject' },
    ]);
    expect(links.some((l) => (l as { sha: string }).sha === none)).toBe(false);
    const sessions = d
      .prepare(
        `SELECT task_key, session_id, session_weight, commit_within_window, link_source FROM event_task_sessions ORDER BY session_id, task_key`,
      )
      .all();
    expect(sessions).toEqual([
      {
        task_key: 'ABC-123',
        session_id: `claude-code:${both.sessionId}`,
        session_weight: 0.5,
        commit_within_window: 1,
        link_source: 'session_branch',
      },
      {
        task_key: 'DEF-7',
        session_id: `claude-code:${both.sessionId}`,
        session_weight: 0.5,
        commit_within_window: 0,
        link_source: 'prompt',
      },
      { task_key: 'XYZ-5', session_id: `claude-code:${late.sessionId}`, session_weight: 1, commit_within_window: 0, link_source: 'prompt' },
    ]);
    const view = d
      .prepare(
        `SELECT task_key, sessions, weighted_sessions, commits, fallback_commits, commit_within_window_rate FROM view_task_execution_quality`,
      )
      .all();
    expect(view).toEqual([
      { task_key: 'ABC-123', sessions: 1, weighted_sessions: 0.5, commits: 1, fallback_commits: 0, commit_within_window_rate: 1 },
      { task_key: 'DEF-7', sessions: 1, weighted_sessions: 0.5, commits: 1, fallback_commits: 0, commit_within_window_rate: 0 },
      { task_key: 'GHI-9', sessions: 0, weighted_sessions: 0, commits: 1, fallback_commits: 1, commit_within_window_rate: null },
      { task_key: 'JKL-4', sessions: 0, weighted_sessions: 0, commits: 1, fallback_commits: 1, commit_within_window_rate: null },
      { task_key: 'XYZ-5', sessions: 1, weighted_sessions: 1, commits: 1, fallback_commits: 1, commit_within_window_rate: 0 },
      // root, merge-free non-key commits: root and the UTF-8 one; the keyless session.
      { task_key: '(no task key)', sessions: 1, weighted_sessions: 1, commits: 2, fallback_commits: 0, commit_within_window_rate: 0 },
    ]);
    expect(d.prepare(`SELECT task_key, source FROM metadata_tasks ORDER BY task_key`).all()).toEqual([
      // First seen: the session on the branch began before the branch's commit.
      { task_key: 'ABC-123', source: 'session_branch' },
      { task_key: 'DEF-7', source: 'branch' },
      { task_key: 'GHI-9', source: 'commit_subject' },
      { task_key: 'JKL-4', source: 'pr_title' },
      { task_key: 'XYZ-5', source: 'prompt' },
    ]);
    d.close();
  });
});

describe('a whole task build', () => {
  it('links every commit without reading the queue: the same rows read and links made with it full or empty', async () => {
    const repo = TempRepo.create();
    repo.write('README.md', '# root\n').commit('root ABC-9 in a subject');
    repo.git('checkout', '-q', '-b', 'feature/ABC-1-alpha');
    repo.write('a.ts', 'export const a = 1;\n').commit('alpha one');
    repo.write('a.ts', 'export const a = 2;\n').commit('alpha two');
    repo.git('checkout', '-q', 'main');
    repo.git('merge', '-q', '--no-ff', '-m', "Merge branch 'feature/ABC-1-alpha'", 'feature/ABC-1-alpha');
    repo.git('checkout', '-q', '-b', 'feature/DEF-2-beta');
    repo.write('b.ts', 'export const b = 1;\n').commit('beta');
    repo.git('checkout', '-q', 'main');
    repo.write('c.ts', 'export const c = 1;\n').commit('Fix XYZ-3 (#4)');
    const home = emptySessionHome();
    const build = async (queued: boolean) => {
      const path = join(tempDir('paceflow-db-'), 'paceflow.db');
      await ingest({ cwd: repo.dir, db: path, env: home.env });
      const d = openDatabase(path);
      const repoId = d.prepare(`SELECT repo_id FROM metadata_repositories`).get<{ repo_id: string }>()!.repo_id;
      // A build with another key pattern on record is a whole one; the queue holds every commit or none.
      d.prepare(`UPDATE paceflow_meta SET value = 'another pattern' WHERE key = ?`).run([`tasks_config:${repoId}`]);
      if (queued) d.prepare(`INSERT INTO paceflow_untasked (repo_id, sha) SELECT repo_id, sha FROM metadata_commits`).run();
      const queue = d.prepare(`SELECT count(*) AS n FROM paceflow_untasked`).get<{ n: number }>()!.n;
      const before = rowsRead.count;
      await buildTasks({ db: d, repoId, cwd: repo.dir, config: defaultConfig() });
      const read = rowsRead.count - before;
      const links = d.prepare(`SELECT task_key, sha, branch_name, key_source FROM event_task_commits ORDER BY task_key, sha`).all();
      const left = d.prepare(`SELECT count(*) AS n FROM paceflow_untasked`).get<{ n: number }>()!.n;
      d.close();
      return { queue, read, links, left };
    };
    const [full, empty] = [await build(true), await build(false)];
    expect([full.queue, empty.queue]).toEqual([6, 0]);
    expect(full.read).toBe(empty.read);
    expect(full.links).toEqual(empty.links);
    expect(full.links.map((l) => (l as { task_key: string }).task_key)).toEqual(
      expect.arrayContaining(['ABC-1', 'ABC-9', 'DEF-2', 'XYZ-3']),
    );
    expect([full.left, empty.left]).toEqual([0, 0]);
  });
});
