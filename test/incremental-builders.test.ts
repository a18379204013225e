import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildChurn } from '../src/builders/churn.js';
import { buildOutcomes } from '../src/builders/outcomes.js';
import { ingest } from '../src/cli/commands/ingest.js';
import { defaultConfig } from '../src/config/defaults.js';
import type { ConfigOverrides } from '../src/config/config.js';
import { openDatabase } from '../src/db/open.js';
import { ClaudeTranscript } from './helpers/claude-lines.js';
import { cleanupTempDirs, TempRepo, tempDir } from './helpers/git-repo.js';
import { emptySessionHome, type SessionHome } from './helpers/sessions.js';

afterAll(cleanupTempDirs);

/**
 * The builders keep work between runs (sql/009, sql/010: the mainline landing, the queues of new
 * commits, the keyed merges, digests of what churn and task sessions read, the notes seen, the open
 * windows) so that a run costs what changed. Whatever they skip, the rows must be the rows a
 * database built from scratch gets (DESIGN §1): checked here after every step of a history that
 * goes through the shapes that change them — commits on and off mainline, a new branch, an amend,
 * a rebase, merges of branches named for tasks, a squash, a revert, a new session, a deleted
 * branch, a changed setting.
 */

/** Every event table and metadata_tasks, each sorted on all its columns. */
function eventRows(path: string): Record<string, unknown[]> {
  const db = openDatabase(path);
  try {
    const tables = db
      .prepare(
        `SELECT name FROM sqlite_master WHERE type = 'table' AND (name LIKE 'event\\_%' ESCAPE '\\' OR name = 'metadata_tasks') ORDER BY name`,
      )
      .all<{ name: string }>()
      .map((r) => r.name);
    const out: Record<string, unknown[]> = {};
    for (const table of tables) {
      const columns = db.prepare(`SELECT * FROM ${table} LIMIT 0`).columns();
      out[table] = db.prepare(`SELECT * FROM ${table} ORDER BY ${columns.map((_, i) => i + 1).join(', ')}`).all();
    }
    return out;
  } finally {
    db.close();
  }
}

const lines = (tag: string, n = 5) =>
  `${Array.from({ length: n }, (_, i) => `export const ${tag}${i} = compute${tag}(${i});`).join('\n')}\n`;

class Scenario {
  readonly repo = TempRepo.create();
  readonly home: SessionHome = emptySessionHome();
  readonly db = join(tempDir('paceflow-db-'), 'kept.db');
  private readonly transcripts: ClaudeTranscript[] = [];
  config: ConfigOverrides = {};

  session(id: string, build: (t: ClaudeTranscript) => void): void {
    const t = new ClaudeTranscript(`dddddddd-0000-4000-8000-00000000000${id}`, this.repo.dir);
    build(t);
    this.transcripts.push(t);
  }

  private async ingestInto(db: string): Promise<string[]> {
    const dir = join(this.home.claudeProjects, '-repo');
    mkdirSync(dir, { recursive: true });
    for (const t of this.transcripts) writeFileSync(join(dir, `${t.sessionId}.jsonl`), t.text());
    const summary = await ingest({ cwd: this.repo.dir, db, env: this.home.env, notes: false, config: this.config });
    return summary.messages;
  }

  /** Ingests into the kept database, then the same history into a fresh one: the rows must agree. */
  async step(): Promise<string[]> {
    const messages = await this.ingestInto(this.db);
    const fresh = join(tempDir('paceflow-db-'), 'fresh.db');
    await this.ingestInto(fresh);
    expect(eventRows(this.db)).toEqual(eventRows(fresh));
    return messages;
  }
}

const outcomesChecked = (messages: string[]) =>
  Number(/\((\d+) checked\)/.exec(messages.find((m) => m.includes(': outcomes: ')) ?? '')?.[1]);
const churnLine = (messages: string[]) => messages.find((m) => m.includes(': churn: ')) ?? '';

describe('builders that keep work between runs', () => {
  it('give the rows of a build from scratch after every kind of change', { timeout: 120_000 }, async () => {
    const s = new Scenario();
    const { repo } = s;
    repo.write('README.md', '# project\n').commit('root', { at: 60 });
    repo.write('base.ts', lines('base')).commit('base');
    // An AI session writes lines that a commit on mainline takes.
    s.session('1', (t) => t.prompt('add the parser for ABC-1').write('toolu_parser', join(repo.dir, 'parser.ts'), lines('parse', 6)));
    repo
      .write('parser.ts', `${lines('parse', 6)}export const mine = own();\n`)
      .commit('parser', { at: Date.parse('2026-02-01T11:00:00Z') / 1000 - Date.parse('2026-01-05T09:00:00Z') / 1000 });
    repo.git('checkout', '-q', '-b', 'feature/ABC-1-login');
    repo.write('login.ts', lines('login')).commit('wip login');
    repo.git('checkout', '-q', 'main');
    let messages = await s.step();

    // 1. A commit on a topic branch off mainline: the shortcut checks it alone; churn has nothing to do.
    repo.git('checkout', '-q', '-b', 'topic');
    repo.write('topic.ts', lines('topic')).commit('topic one');
    messages = await s.step();
    expect(outcomesChecked(messages)).toBe(1);
    expect(churnLine(messages)).toMatch(/up to date/);

    // 2. A commit on the branch named for a task; 3. a new branch (named for another) at an existing commit.
    repo.git('checkout', '-q', 'feature/ABC-1-login');
    repo.write('login.ts', lines('login', 8)).commit('login done');
    await s.step();
    repo.git('branch', 'feature/DEF-2', 'topic');
    messages = await s.step();
    expect(outcomesChecked(messages)).toBeLessThanOrEqual(1);

    // 4. An amend off mainline.
    repo.git('checkout', '-q', 'topic');
    repo.write('topic.ts', lines('topicamended')).at().git('commit', '-q', '--amend', '-a', '--no-edit');
    await s.step();

    // 5. Mainline moves on, then the topic (two commits) is rebased onto it.
    repo.git('checkout', '-q', 'main');
    repo.write('main2.ts', lines('maintwo')).commit('main moves');
    await s.step();
    repo.git('checkout', '-q', 'topic');
    repo.write('topic2.ts', lines('topictwo')).commit('topic two');
    repo.at().git('rebase', '-q', 'main');
    await s.step();

    // 6. The task branch merged with a merge commit naming it, then deleted.
    repo.git('checkout', '-q', 'main');
    repo.at().git('merge', '-q', '--no-ff', '-m', "Merge branch 'feature/ABC-1-login'", 'feature/ABC-1-login');
    repo.git('branch', '-q', '-D', 'feature/ABC-1-login');
    await s.step();

    // 7. A new session's lines in a commit on mainline, and a revert of an earlier commit.
    s.session('2', (t) => t.prompt('DEF-2 follow-up').write('toolu_more', join(repo.dir, 'more.ts'), lines('more', 4)));
    repo
      .write('more.ts', lines('more', 4))
      .commit('more for DEF-2', { at: Date.parse('2026-02-01T12:00:00Z') / 1000 - Date.parse('2026-01-05T09:00:00Z') / 1000 });
    const main2 = repo.git('log', '-1', '--format=%H', '--grep=main moves');
    repo.at().git('revert', '--no-edit', main2);
    await s.step();

    // 8. The topic squashed onto mainline as a pull request, its branch deleted.
    repo.git('merge', '-q', '--squash', 'topic');
    repo.commit('Topic work (#7)');
    repo.git('branch', '-q', '-D', 'topic');
    await s.step();

    // 9. A different task key pattern: every link is made again.
    s.config = { taskKeyPattern: '\\b[A-Z]{3}-[0-9]+\\b' };
    await s.step();
    // 10. Nothing new: nothing changes.
    messages = await s.step();
    expect(outcomesChecked(messages)).toBe(0);
    expect(churnLine(messages)).toMatch(/up to date/);
  });
});

describe('windows the calendar closes', () => {
  it('closed in SQL on a run with nothing new: the rows a whole build at the same date gives', async () => {
    const repo = TempRepo.create();
    repo.write('README.md', '# project\n').commit('root', { at: 60 });
    repo.write('a.ts', lines('a')).commit('a', { at: 3600 });
    repo.write('a.ts', lines('b')).commit('rewrite a', { at: 10 * 86400 });
    repo.write('c.ts', lines('c')).commit('c', { at: 20 * 86400 });
    const path = join(tempDir('paceflow-db-'), 'paceflow.db');
    await ingest({ cwd: repo.dir, db: path, sessions: false, notes: false });
    const db = openDatabase(path);
    try {
      const repoId = db.prepare(`SELECT repo_id FROM metadata_repositories`).get<{ repo_id: string }>()!.repo_id;
      const config = defaultConfig();
      const base = Date.parse('2026-01-05T09:00:00Z');
      const at = (days: number) => new Date(base + days * 86400e3);
      const churn = (now: Date) => buildChurn({ db, repoId, cwd: repo.dir, aiLines: new Map(), config, now });
      const outcomes = (now: Date) => buildOutcomes({ db, repoId, cwd: repo.dir, config, now });
      const rows = () => ({
        churn: db.prepare(`SELECT * FROM event_commit_churn ORDER BY sha`).all(),
        outcomes: db.prepare(`SELECT * FROM event_commit_outcomes ORDER BY sha`).all(),
      });
      const fromScratch = async (now: Date) => {
        db.exec(`DELETE FROM event_commit_churn; DELETE FROM paceflow_meta WHERE key LIKE 'churn\\_%' ESCAPE '\\' OR key LIKE 'outcome%'`);
        await outcomes(now);
        await churn(now);
        return rows();
      };
      // Day 21: the last two commits' windows are open.
      const day21 = await fromScratch(at(21));
      expect(day21.churn.filter((r) => (r as { window_closed: number }).window_closed === 0)).toHaveLength(2);
      // Day 40, nothing new: the shortcut paths close windows, and agree with a whole build.
      expect((await churn(at(40))).commits).toBe(0);
      expect((await outcomes(at(40))).checked).toBe(0);
      const shortcut = rows();
      expect(shortcut.churn.every((r) => (r as { window_closed: number }).window_closed === 1)).toBe(true);
      expect(await fromScratch(at(40))).toEqual(shortcut);
      // A clock that went back is computed whole again (a window never closes early).
      expect((await outcomes(at(21))).checked).toBe(0);
      expect(rows().outcomes).toEqual(day21.outcomes);
    } finally {
      db.close();
    }
  });
});
