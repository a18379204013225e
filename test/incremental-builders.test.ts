import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { storedAiLines } from '../src/builders/attribution-replay.js';
import { buildChurn } from '../src/builders/churn.js';
import { evidenceFingerprint, evidenceFinder, type MainlineCommit, stageMainline } from '../src/builders/churn/evidence.js';
import { composeNote } from '../src/builders/notes.js';
import { buildOutcomes } from '../src/builders/outcomes.js';
import { type IngestSummary, ingest } from '../src/cli/commands/ingest.js';
import { defaultConfig } from '../src/config/defaults.js';
import type { ConfigOverrides } from '../src/config/config.js';
import { openDatabase } from '../src/db/open.js';
import { ClaudeTranscript } from './helpers/claude-lines.js';
import { eventRows } from './helpers/event-rows.js';
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

const lines = (tag: string, n = 5) =>
  `${Array.from({ length: n }, (_, i) => `export const ${tag}${i} = compute${tag}(${i});`).join('\n')}\n`;

class Scenario {
  readonly repo = TempRepo.create();
  readonly home: SessionHome = emptySessionHome();
  readonly db = join(tempDir('paceflow-db-'), 'kept.db');
  private readonly transcripts: ClaudeTranscript[] = [];
  config: ConfigOverrides = {};

  /** A session's transcript (a second call with the same id rewrites that transcript). */
  session(id: string, build: (t: ClaudeTranscript) => void, gitBranch = 'main'): void {
    const t = new ClaudeTranscript(`dddddddd-0000-4000-8000-00000000000${id}`, this.repo.dir, gitBranch);
    build(t);
    const at = this.transcripts.findIndex((x) => x.sessionId === t.sessionId);
    if (at >= 0) this.transcripts[at] = t;
    else this.transcripts.push(t);
  }

  private async ingestInto(db: string): Promise<IngestSummary> {
    const dir = join(this.home.claudeProjects, '-repo');
    mkdirSync(dir, { recursive: true });
    for (const t of this.transcripts) writeFileSync(join(dir, `${t.sessionId}.jsonl`), t.text());
    return ingest({ cwd: this.repo.dir, db, env: this.home.env, notes: false, config: this.config });
  }

  /** Ingests into the kept database, then the same history into a fresh one: the rows must agree. */
  async step(): Promise<string[]> {
    const summary = await this.ingestInto(this.db);
    const fresh = join(tempDir('paceflow-db-'), 'fresh.db');
    await this.ingestInto(fresh);
    expect(eventRows(this.db)).toEqual(eventRows(fresh));
    this.checkFingerprints();
    this.last = summary;
    return summary.messages;
  }

  last: IngestSummary | null = null;
  /** The kinds of churn evidence fingerprints seen: 'l' (exact lines) and 'c' (a count), with evidence. */
  readonly fingerprintKinds = new Set<string>();

  /**
   * The fingerprints churn's plan computes in SQL for every mainline commit (stageMainline) are
   * what the evidence the pass reads gives (evidenceFingerprint), and the kept ones are stored.
   */
  private checkFingerprints(): void {
    const db = openDatabase(this.db);
    try {
      for (const { repo_id: repoId } of db.prepare(`SELECT DISTINCT repo_id FROM event_commit_outcomes`).all<{ repo_id: string }>()) {
        stageMainline(db, repoId);
        const evidence = evidenceFinder(db, repoId, (shas) => storedAiLines(db, repoId, shas));
        const staged = db
          .prepare(`SELECT sha, at, committed, n, ai_lines, fingerprint FROM temp.paceflow_churn_mainline ORDER BY sha`)
          .all<MainlineCommit & { fingerprint: string }>();
        expect(staged.map((m) => [m.sha, evidenceFingerprint(evidence(m))])).toEqual(staged.map((m) => [m.sha, m.fingerprint]));
        // Read whole (a first run's pass) or commit by commit (the worker's), the same evidence.
        const whole = evidenceFinder(db, repoId, (shas) => storedAiLines(db, repoId, shas), 'whole');
        expect(staged.map((m) => [m.sha, whole(m)])).toEqual(staged.map((m) => [m.sha, evidence(m)]));
        const stored = db
          .prepare(`SELECT sha, fingerprint FROM paceflow_churn_evidence WHERE repo_id = ? ORDER BY sha`)
          .all<{ sha: string; fingerprint: string }>([repoId]);
        expect(stored).toEqual(staged.filter((m) => m.fingerprint !== 'c0').map((m) => ({ sha: m.sha, fingerprint: m.fingerprint })));
        for (const m of staged) if (m.fingerprint !== 'c0') this.fingerprintKinds.add(m.fingerprint[0]!);
      }
    } finally {
      db.close();
    }
  }

  /** What a builder of the last step read. */
  work(builder: string) {
    return this.last!.builders.find((b) => b.builder === builder)!.work;
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

    // 9. Attribution replays from the earliest change. A transcript found late, whose edit (10:00)
    // wrote lines the parser commit (11:00) has: the latest write before the commit wins.
    const feb1 = (hhmm: string) => Date.parse(`2026-02-01T${hhmm}:00Z`) / 1000 - Date.parse('2026-01-05T09:00:00Z') / 1000;
    s.session('3', (t) => t.prompt('again').write('toolu_again', join(repo.dir, 'parser.ts'), lines('parse', 2)));
    await s.step();
    // A commit dated before the parser commit, on a branch from before it, adds lines the sessions
    // wrote: it takes them first; the parser commit keeps what is left.
    repo.git('checkout', '-q', '-b', 'early', repo.git('log', '-1', '--format=%H', '--grep=^base$'));
    repo.write('parser.ts', lines('parse', 3)).commit('early parser', { at: feb1('10:30') });
    const early = repo.git('rev-parse', 'HEAD');
    await s.step();
    const aiLinesOf = (sha: string) => {
      const db = openDatabase(s.db);
      try {
        return db.prepare(`SELECT ai_lines FROM event_commit_outcomes WHERE sha = ?`).get<{ ai_lines: number }>([sha])?.ai_lines;
      } finally {
        db.close();
      }
    };
    expect(aiLinesOf(early)).toBe(3);
    // 10. That commit amended away: its writes are free again.
    repo.write('parser.ts', lines('parse', 1)).at(feb1('10:31')).git('commit', '-q', '--amend', '-a', '--no-edit');
    await s.step();
    repo.git('checkout', '-q', 'main');

    // A later commit adding lines whose one write an earlier commit took: nothing for it.
    repo.write('more.ts', `${lines('more', 4)}${lines('more', 4)}`).commit('more again', { at: feb1('13:00') });
    const again = repo.git('rev-parse', 'HEAD');
    await s.step();
    expect(aiLinesOf(again)).toBe(0);
    // A session's transcript rewritten: the lines it wrote to solo.ts are gone (it wrote other.ts
    // instead), so the commit that took them has none left.
    s.session('4', (t) => t.prompt('solo').write('toolu_solo', join(repo.dir, 'solo.ts'), lines('solo', 3)));
    repo.write('solo.ts', lines('solo', 3)).commit('solo', { at: feb1('13:30') });
    const solo = repo.git('rev-parse', 'HEAD');
    await s.step();
    expect(aiLinesOf(solo)).toBe(3);
    s.session('4', (t) => t.prompt('solo, again').write('toolu_other', join(repo.dir, 'other.ts'), lines('other', 2)));
    await s.step();
    expect(aiLinesOf(solo)).toBe(0);

    // A branch fetched late holds a commit (a trailer: counted AI lines) that mainline already has a
    // cherry-picked copy of, landed after it was written: the copy's churn now counts its lines.
    repo.write('mirror.ts', lines('mirror', 5)).commit('mirror work', { at: feb1('14:00') });
    const beforeMirror = repo.git('rev-parse', 'HEAD~1');
    await s.step();
    repo.git('checkout', '-q', '-b', 'late-branch', beforeMirror);
    repo
      .write('mirror.ts', lines('mirror', 5))
      .commit('mirror work\n\nCo-Authored-By: Claude <noreply@anthropic.com>', { at: feb1('13:45') });
    await s.step();
    repo.git('checkout', '-q', 'main');
    // A note arrives for a commit on mainline (written where its transcript was): its AI lines count.
    const base = repo.git('log', '-1', '--format=%H', '--grep=^base$');
    const note = composeNote('paceflow 0.1.0', 5, [{ provider: 'codex', model: null, sessionId: 'codex:elsewhere', lines: 1 }]);
    repo.git('notes', '--ref=refs/notes/paceflow', 'add', '-m', note.trimEnd(), base);
    await s.step();
    expect(aiLinesOf(base)).toBe(1); // not heavy-AI: outcomes stay as they are

    // A note makes a mainline commit heavy-AI after a later commit deleted most of its lines: the
    // partial-revert rule now applies to it (a whole outcome build, from a generation, not a scan).
    const target = repo.write('target.ts', lines('target', 4)).commit('target work', { at: feb1('15:00') });
    repo.write('target.ts', lines('target', 1)).commit('drop most of the target', { at: feb1('15:10') });
    await s.step();
    const heavyNote = composeNote('paceflow 0.1.0', 4, [{ provider: 'codex', model: null, sessionId: 'codex:elsewhere', lines: 4 }]);
    repo.git('notes', '--ref=refs/notes/paceflow', 'add', '-m', heavyNote.trimEnd(), target);
    await s.step();
    const reverted = openDatabase(s.db);
    expect(reverted.prepare(`SELECT revert_kind FROM event_commit_outcomes WHERE sha = ?`).get([target])).toEqual({
      revert_kind: 'partial',
    });
    reverted.close();

    // A pull request's commit with a session's lines, squashed onto mainline with its branch kept:
    // the squash carries the branch commit's exact lines into churn.
    s.session('5', (t) => t.prompt('kept work').write('toolu_kept', join(repo.dir, 'kept.ts'), lines('kept', 4)));
    repo.git('checkout', '-q', '-b', 'pr-kept');
    repo.write('kept.ts', lines('kept', 4)).commit('kept work', { at: feb1('16:00') });
    repo.git('checkout', '-q', 'main');
    repo.git('merge', '-q', '--squash', 'pr-kept');
    repo.commit('Kept work (#8)', { at: feb1('16:10') });
    await s.step();
    const squash = openDatabase(s.db);
    expect(
      squash
        .prepare(
          `SELECT e.fingerprint FROM paceflow_churn_evidence e JOIN metadata_commits c ON c.repo_id = e.repo_id AND c.sha = e.sha
           WHERE c.subject = 'Kept work (#8)'`,
        )
        .get(),
    ).toEqual({ fingerprint: 'l4' });
    squash.close();

    // 11. A different task key pattern: every link is made again.
    s.config = { taskKeyPattern: '\\b[A-Z]{3}-[0-9]+\\b' };
    await s.step();
    // 12. Nothing new: nothing changes, and nothing is read again.
    messages = await s.step();
    expect(outcomesChecked(messages)).toBe(0);
    expect(churnLine(messages)).toMatch(/up to date/);
    expect(s.work('attribution').diffsRead).toBe(0);
    expect(s.work('churn')).toMatchObject({ diffsRead: 0, gitProcesses: 0 });
    // The fingerprint check above saw both kinds of evidence.
    expect([...s.fingerprintKinds].sort()).toEqual(['c', 'l']);
  });
});

describe('churn after mainline moves forward', () => {
  it('restages only what the new commits, open windows and changed evidence reach: the rows of a build from scratch', {
    timeout: 60_000,
  }, async () => {
    const s = new Scenario();
    const { repo } = s;
    const day = (n: number) => n * 86400;
    repo.write('README.md', '# project\n').commit('root', { at: 60 });
    // A history before: what a staging of all of mainline would read again.
    for (let i = 0; i < 40; i++) repo.write(`old${i}.ts`, lines(`old${i}`, 2)).commit(`old ${i}`, { at: day(1) + i * 600 });
    // A session (its transcript not read yet) wrote y.ts; the commit that has its lines lands on day 28.
    // Not heavy-AI once read (4 of 20 lines): a heavy commit would rebuild every outcome, and churn whole.
    repo.write('y.ts', `${lines('y', 4)}${lines('mine', 16)}`).commit('y', { at: day(28) });
    repo.write('a.ts', lines('a', 6)).commit('a', { at: day(33) });
    repo.write('x.ts', lines('x', 6)).commit('x', { at: day(47) });
    repo.write('c.ts', lines('c', 6)).commit('c', { at: day(53) });
    await s.step();
    // The rows churn reads: staging all 46 mainline commits again reads ~80 here, the window ~35-50.
    const staged = () => s.work('churn').rowsRead;
    const window = 55;

    // Day 60 rewrites x.ts (landed 13 days before: inside its window) and a.ts (27 days before:
    // outside). Only commits landed from day 46 on are staged; x's row changes.
    repo
      .write('x.ts', lines('xx', 6))
      .write('a.ts', lines('aa', 6))
      .commit('rewrite x and a', { at: day(60) });
    const messages = await s.step();
    expect(churnLine(messages)).toMatch(/churned/);
    expect(staged()).toBeLessThanOrEqual(window);

    // The transcript of y's session turns up (y's evidence changes, 36 days back) as mainline moves
    // on again: the staging reaches back to y's landing, whose row now counts AI lines.
    s.session('6', (t) => t.prompt('write y').write('toolu_y', join(repo.dir, 'y.ts'), lines('y', 4)));
    repo.write('d.ts', lines('d', 3)).commit('d', { at: day(64) });
    await s.step();
    expect(staged()).toBeLessThanOrEqual(window);
    const churnOfY = openDatabase(s.db);
    try {
      expect(
        churnOfY
          .prepare(
            `SELECT ch.ai_lines_reaching_mainline AS ai FROM event_commit_churn ch
             JOIN metadata_commits c ON c.repo_id = ch.repo_id AND c.sha = ch.sha WHERE c.subject = 'y'`,
          )
          .get(),
      ).toEqual({ ai: 4 });
    } finally {
      churnOfY.close();
    }
  });
});

describe('session task links, made again for the sessions whose inputs changed (sql/024)', () => {
  it('follow a key’s new commit, an attribution taken by another session, a branch and a prompt: the rows of a build from scratch', async () => {
    const s = new Scenario();
    const { repo } = s;
    const feb1 = (hhmm: string) => Date.parse(`2026-02-01T${hhmm}:00Z`) / 1000 - Date.parse('2026-01-05T09:00:00Z') / 1000;
    const links = () => {
      const db = openDatabase(s.db);
      try {
        return db
          .prepare(
            `SELECT task_key, substr(session_id, -1) AS session, session_weight AS weight, commit_within_window AS within, link_source AS source
             FROM event_task_sessions ORDER BY session_id, task_key`,
          )
          .all();
      } finally {
        db.close();
      }
    };
    repo.write('README.md', '# project\n').commit('root', { at: 60 });
    // A prompt names a task no commit has yet.
    s.session('6', (t) => t.prompt('plan GHI-3'));
    await s.step();
    expect(links()).toEqual([{ task_key: 'GHI-3', session: '6', weight: 1, within: 0, source: 'prompt' }]);
    // The task's first commit, within the session's window: only the commit links changed.
    repo.write('ghi.ts', lines('ghi')).commit('GHI-3 done', { at: feb1('11:00') });
    await s.step();
    expect(links()).toEqual([{ task_key: 'GHI-3', session: '6', weight: 1, within: 1, source: 'prompt' }]);
    // A session's lines committed under another task: linked by the commit.
    s.session('7', (t) => t.prompt('tidy').write('toolu_k7', join(repo.dir, 'k.ts'), lines('kay', 4)));
    repo.write('k.ts', lines('kay', 4)).commit('JKL-4 add k', { at: feb1('12:00') });
    await s.step();
    expect(links()).toContainEqual({ task_key: 'JKL-4', session: '7', weight: 1, within: 1, source: 'commit' });
    // A later session writes the same lines before that commit: the commit's lines are its now, and
    // session 7 — nothing of its own changed — loses the task.
    s.session('8', (t) =>
      t.prompt('one').prompt('two').prompt('three').prompt('four').write('toolu_k8', join(repo.dir, 'k.ts'), lines('kay', 4)),
    );
    await s.step();
    expect(links().filter((l) => (l as { task_key: string }).task_key === 'JKL-4')).toEqual([
      { task_key: 'JKL-4', session: '8', weight: 1, within: 1, source: 'commit' },
    ]);
    // A session on a task branch whose transcript is rewritten: the same line, at the same time, now
    // naming a second task (the session's row stays as it was; only its prompts changed).
    s.session('9', (t) => t.prompt('start'), 'feature/MNO-5-search');
    await s.step();
    s.session('9', (t) => t.prompt('start on PQR-6 too'), 'feature/MNO-5-search');
    await s.step();
    expect(links().filter((l) => (l as { session: string }).session === '9')).toEqual([
      { task_key: 'MNO-5', session: '9', weight: 0.5, within: 0, source: 'session_branch' },
      { task_key: 'PQR-6', session: '9', weight: 0.5, within: 0, source: 'prompt' },
    ]);
    // Nothing new: no session is owed.
    await s.step();
    const db = openDatabase(s.db);
    expect(db.prepare(`SELECT count(*) AS n FROM paceflow_owed_task_sessions`).get()).toEqual({ n: 0 });
    db.close();
  });
});

describe('task links after mainline moves forward', () => {
  it('stand when mainline takes in only new commits, and are made again when it takes in a task branch', async () => {
    const s = new Scenario();
    const { repo } = s;
    repo.write('README.md', '# project\n').commit('root', { at: 60 });
    repo.git('checkout', '-q', '-b', 'feature/ABC-7-export');
    repo.write('export.ts', lines('export')).commit('export work');
    repo.git('checkout', '-q', 'main');
    await s.step();
    const linkOf = (subject: string) => {
      const db = openDatabase(s.db);
      try {
        return db
          .prepare(
            `SELECT t.task_key, t.key_source FROM event_task_commits t
             JOIN metadata_commits c ON c.repo_id = t.repo_id AND c.sha = t.sha WHERE c.subject = ?`,
          )
          .all([subject]);
      } finally {
        db.close();
      }
    };
    expect(linkOf('export work')).toEqual([{ task_key: 'ABC-7', key_source: 'branch' }]);
    // Mainline fast-forwards over the task branch: its commit is mainline's now, no branch claims it.
    repo.git('merge', '-q', '--ff-only', 'feature/ABC-7-export');
    await s.step();
    expect(linkOf('export work')).toEqual([]);
    // Mainline took in a commit it did not have and that is not new: git says so.
    const tasksGit = () => s.last!.builders.find((b) => b.builder === 'tasks')!.work.gitProcesses;
    expect(tasksGit()).toBeGreaterThan(0);
    // A new commit on mainline (only new commits taken in): the links stand, as a build from scratch says
    // — told from the new commit's parents, no git process.
    repo.write('more.ts', lines('more')).commit('more for ABC-8');
    await s.step();
    expect(linkOf('more for ABC-8')).toEqual([{ task_key: 'ABC-8', key_source: 'commit_subject' }]);
    expect(tasksGit()).toBe(0);
    // And a merge of new commits into mainline.
    repo.git('checkout', '-q', '-b', 'side');
    repo.write('side.ts', lines('side')).commit('side work');
    repo.git('checkout', '-q', 'main');
    repo.write('main.ts', lines('main')).commit('main work');
    repo.git('merge', '-q', '--no-ff', '-m', 'merge side', 'side');
    await s.step();
    expect(tasksGit()).toBe(0);
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
      const churn = (now: Date) => buildChurn({ db, repoId, cwd: repo.dir, config, now });
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
