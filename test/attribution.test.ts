import { reportSections } from './helpers/report-json.js';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ingest } from '../src/cli/commands/ingest.js';
import { headerPath } from '../src/git/patches.js';
import {
  attributionWriter,
  bumpWhenHeavyMainlineMoves,
  commitsToRead,
  loadWrittenLines,
  outcomeWriter,
  readEditsThrough,
  WrittenLines,
  writeOutcomeShares,
  writtenLines,
} from '../src/builders/attribution.js';
import { show } from '../src/cli/commands/show.js';
import { openDatabase } from '../src/db/open.js';
import { rowsRead } from '../src/db/statement.js';
import { defaultConfig } from '../src/config/defaults.js';
import { snapshot, tempDatabase } from './helpers/db.js';
import { ClaudeTranscript } from './helpers/claude-lines.js';
import { CodexRollout } from './helpers/codex-lines.js';
import { TempRepo, cleanupTempDirs, tempDir } from './helpers/git-repo.js';
import { emptySessionHome, type SessionHome } from './helpers/sessions.js';

afterAll(cleanupTempDirs);

/** Commits come a day after the transcripts' clock (2026-02-01): every edit is written before. */
const AFTER_EDITS = Date.parse('2026-02-02T00:00:00Z') / 1000 - Date.parse('2026-01-05T09:00:00Z') / 1000;

interface Scenario {
  repo: TempRepo;
  home: SessionHome;
  db: string;
  t: ClaudeTranscript;
  addTranscript(t: ClaudeTranscript): void;
  run(): Promise<void>;
  outcome(sha: string): Record<string, unknown> | undefined;
  attributions(sha: string): Record<string, unknown>[];
}

function scenario(): Scenario {
  const repo = TempRepo.create();
  repo.write('README.md', '# project\n').commit('root', { at: 60 });
  const home = emptySessionHome();
  const db = join(tempDir('paceflow-db-'), 'paceflow.db');
  const t = new ClaudeTranscript('aaaaaaaa-0000-4000-8000-000000000001', repo.dir);
  const transcripts = [t];
  const s: Scenario = {
    repo,
    home,
    db,
    t,
    addTranscript: (x) => transcripts.push(x),
    async run() {
      for (const x of transcripts) {
        const dir = join(home.claudeProjects, '-repo');
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, `${x.sessionId}.jsonl`), x.text());
      }
      await ingest({ cwd: repo.dir, db, env: home.env });
    },
    outcome: (sha) => {
      const d = openDatabase(db);
      try {
        return d
          .prepare(
            `SELECT nontrivial_added_lines, ai_lines, ai_share, heavy_ai, attribution_coverage, attribution_source FROM event_commit_outcomes WHERE sha = ?`,
          )
          .get([sha]);
      } finally {
        d.close();
      }
    },
    attributions: (sha) => {
      const d = openDatabase(db);
      try {
        return d
          .prepare(
            `SELECT provider, session_id, matched_lines, share_of_commit, source FROM event_commit_attributions WHERE sha = ? ORDER BY session_id`,
          )
          .all([sha]);
      } finally {
        d.close();
      }
    },
  };
  return s;
}

const file = (repo: TempRepo, name: string) => join(repo.dir, name);

/** A git-ai 3.x authorship note crediting lines 1-2 of g.ts to Cursor (gpt-5). */
function addGitAiNote(repo: TempRepo, sha: string): void {
  const note = [
    'g.ts',
    '  abcd1234abcd1234 1-2',
    '---',
    JSON.stringify({
      schema_version: 'authorship/3.0.0',
      base_commit_sha: sha,
      prompts: { abcd1234abcd1234: { agent_id: { tool: 'cursor', id: 'x', model: 'gpt-5' } } },
    }),
  ].join('\n');
  repo.gitRaw(['notes', '--ref=ai', 'add', '-F', '-', sha], note);
}
const SESSION = 'claude-code:aaaaaaaa-0000-4000-8000-000000000001';

describe('attribution from transcripts', () => {
  it('credits lines taken verbatim, and leaves lines a person changed or wrote unmatched', async () => {
    const s = scenario();
    const ai = [
      'export function total(items: number[]) {',
      '  return items.reduce((sum, x) => sum + x, 0);',
      '}',
      'export const answer = computeTheAnswer();',
    ];
    s.t.prompt('add total').write('toolu_w1', file(s.repo, 'src/total.ts'), `${ai.join('\n')}\n`);
    // The person keeps three AI lines, changes one and adds one of their own.
    s.repo.write(
      'src/total.ts',
      `${[ai[0], ai[1], ai[2], 'export const answer = computeAnswerDifferently();', 'export const mine = personalLine();'].join('\n')}\n`,
    );
    const sha = s.repo.commit('add total', { at: AFTER_EDITS });
    await s.run();
    // Non-trivial added lines: 4 ('}' is trivial); AI: 2.
    expect(s.outcome(sha)).toEqual({
      nontrivial_added_lines: 4,
      ai_lines: 2,
      ai_share: 0.5,
      heavy_ai: 1,
      attribution_coverage: 'tracked',
      attribution_source: 'transcript',
    });
    expect(s.attributions(sha)).toEqual([
      { provider: 'claude-code', session_id: SESSION, matched_lines: 2, share_of_commit: 0.5, source: 'transcript' },
    ]);
    const explained = JSON.parse(await show({ cwd: s.repo.dir, db: s.db, env: s.home.env, commit: sha, format: 'json' })) as {
      lines: { verdict: string; line: string }[];
    };
    expect(explained.lines.map((l) => l.verdict)).toEqual([
      'written by a session',
      'written by a session',
      'trivial line (not counted)',
      'not written by a session as it stands',
      'not written by a session as it stands',
    ]);
  });

  it('a change of the heavy-AI thresholds reflags every stored commit, and new commits take the new ones', async () => {
    const s = scenario();
    const lines = (name: string) => Array.from({ length: 4 }, (_, i) => `export const ${name}${i} = compute${name}(${i});`);
    // Two commits, each 3 of 5 non-trivial lines from the session: a 0.6 share.
    s.t.write('toolu_a', file(s.repo, 'a.ts'), `${lines('a').slice(0, 3).join('\n')}\n`);
    s.repo.write(
      'a.ts',
      `${[...lines('a').slice(0, 3), 'export const mineA = personal(1);', 'export const mineB = personal(2);'].join('\n')}\n`,
    );
    const first = s.repo.commit('a', { at: AFTER_EDITS });
    const generation = () => {
      const d = openDatabase(s.db);
      try {
        return d.prepare(`SELECT value FROM paceflow_meta WHERE key LIKE 'heavy_mainline_gen:%'`).get<{ value: string }>()?.value;
      } finally {
        d.close();
      }
    };
    await s.run();
    expect(s.outcome(first)).toMatchObject({ ai_share: 0.6, heavy_ai: 1 });
    const before = generation();
    s.t.write('toolu_b', file(s.repo, 'b.ts'), `${lines('b').slice(0, 3).join('\n')}\n`);
    s.repo.write(
      'b.ts',
      `${[...lines('b').slice(0, 3), 'export const mineC = personal(3);', 'export const mineD = personal(4);'].join('\n')}\n`,
    );
    const second = s.repo.commit('b', { at: AFTER_EDITS + 60 });
    // The transcript as it stands now, as s.run() writes it; this run with other thresholds.
    writeFileSync(join(s.home.claudeProjects, '-repo', `${s.t.sessionId}.jsonl`), s.t.text());
    await ingest({ cwd: s.repo.dir, db: s.db, env: s.home.env, config: { heavyAiThreshold: 0.7 } });
    // The stored commit and the new one, both by the new thresholds; the generation that tells
    // the outcome build to look at heavy commits again moved.
    expect([s.outcome(first), s.outcome(second)]).toEqual([
      expect.objectContaining({ ai_share: 0.6, heavy_ai: 0 }),
      expect.objectContaining({ ai_share: 0.6, heavy_ai: 0 }),
    ]);
    expect(generation()).not.toBe(before);
    // And back: nothing new to attribute, every row flagged again.
    await ingest({ cwd: s.repo.dir, db: s.db, env: s.home.env, config: { heavyAiThreshold: 0.5 } });
    expect([s.outcome(first), s.outcome(second)]).toEqual([
      expect.objectContaining({ heavy_ai: 1, attribution_source: 'transcript' }),
      expect.objectContaining({ heavy_ai: 1, attribution_source: 'transcript' }),
    ]);
  });

  it('matches lines whose whitespace a formatter changed', async () => {
    const s = scenario();
    s.t.write('toolu_w', file(s.repo, 'a.py'), 'def compute(value):\n    return value * 2 + offset\n');
    s.repo.write('a.py', 'def   compute(value):\n\treturn value * 2 + offset\n');
    const sha = s.repo.commit('formatted', { at: AFTER_EDITS });
    await s.run();
    expect(s.outcome(sha)).toMatchObject({ nontrivial_added_lines: 2, ai_lines: 2, ai_share: 1 });
  });

  // In a later run the rename is the only commit the replay reads: no other commit it reads
  // touches old.ts (the first run took it), so only the rename's old path brings the session's
  // write to old.ts into the writes it loads.
  it.each([
    ['in a first run, which reads every commit', false],
    ['in a later run, when the rename is the only commit read', true],
  ] as const)('follows a rename: lines a session wrote to the old path count in the new one, %s', async (_name, runBetween) => {
    const s = scenario();
    const kept = Array.from({ length: 8 }, (_, i) => `export const kept${i} = someValue(${i});`).join('\n');
    s.repo.write('old.ts', `${kept}\n`).commit('old file', { at: 120 });
    if (runBetween) await s.run();
    s.t.edit('toolu_e', file(s.repo, 'old.ts'), kept, `${kept}\nexport const added = fromTheSession();`);
    s.repo.git('mv', 'old.ts', 'new.ts');
    s.repo.write('new.ts', `${kept}\nexport const added = fromTheSession();\n`);
    const sha = s.repo.commit('rename and extend', { at: AFTER_EDITS });
    await s.run();
    expect(s.outcome(sha)).toMatchObject({ nontrivial_added_lines: 1, ai_lines: 1 });
  });

  // A path only a merge brought (an evil merge: the merge's own change, which no commit's recorded
  // file changes list) and a later commit renamed: its one mention is that commit's old path. A
  // first run reads every commit and takes the paths from the repository's path indexes, the old
  // paths' among them.
  it('follows a rename of a path only a merge brought, in a first run', async () => {
    const s = scenario();
    const kept = Array.from({ length: 8 }, (_, i) => `export const kept${i} = someValue(${i});`).join('\n');
    s.repo.git('checkout', '-q', '-b', 'side');
    s.repo.write('side.ts', 'export const side = 1;\n').commit('side work', { at: 100 });
    s.repo.git('checkout', '-q', 'main');
    s.repo.git('merge', '-q', '--no-ff', '--no-commit', 'side');
    s.repo.write('old.ts', `${kept}\n`).commit('merge side, and old.ts with it', { at: 120 });
    s.t.edit('toolu_e', file(s.repo, 'old.ts'), kept, `${kept}\nexport const added = fromTheSession();`);
    s.repo.git('mv', 'old.ts', 'new.ts');
    s.repo.write('new.ts', `${kept}\nexport const added = fromTheSession();\n`);
    const sha = s.repo.commit('rename and extend', { at: AFTER_EDITS });
    await s.run();
    const d = openDatabase(s.db);
    try {
      // old.ts is no commit's path: only the rename's old path names it.
      expect(d.prepare(`SELECT path, old_path FROM metadata_commit_file_changes WHERE 'old.ts' IN (path, old_path)`).all()).toEqual([
        { path: 'new.ts', old_path: 'old.ts' },
      ]);
    } finally {
      d.close();
    }
    expect(s.outcome(sha)).toMatchObject({ nontrivial_added_lines: 1, ai_lines: 1 });
  });

  it('consumes each written line once: written twice, committed three times → two AI lines', async () => {
    const s = scenario();
    s.t.write('toolu_1', file(s.repo, 'log.ts'), 'console.log("checkpoint reached");\n');
    s.t.edit(
      'toolu_2',
      file(s.repo, 'log.ts'),
      'console.log("checkpoint reached");',
      'console.log("checkpoint reached");\nconsole.log("checkpoint reached");',
    );
    s.repo.write('log.ts', 'console.log("checkpoint reached");\n'.repeat(3));
    const sha = s.repo.commit('three checkpoints', { at: AFTER_EDITS });
    await s.run();
    expect(s.outcome(sha)).toMatchObject({ nontrivial_added_lines: 3, ai_lines: 2 });
  });

  it('when two sessions wrote the same line, the latest write before the commit wins', async () => {
    const s = scenario();
    s.t.write('toolu_a', file(s.repo, 'shared.ts'), 'export const shared = computeShared();\n');
    const later = new ClaudeTranscript('bbbbbbbb-0000-4000-8000-000000000002', s.repo.dir);
    later.prompt('p').prompt('p').prompt('p'); // its clock runs past the first transcript's write
    later.write('toolu_b', file(s.repo, 'shared.ts'), 'export const shared = computeShared();\n');
    s.addTranscript(later);
    s.repo.write('shared.ts', 'export const shared = computeShared();\n');
    const sha = s.repo.commit('shared', { at: AFTER_EDITS });
    await s.run();
    expect(s.attributions(sha)).toEqual([
      {
        provider: 'claude-code',
        session_id: 'claude-code:bbbbbbbb-0000-4000-8000-000000000002',
        matched_lines: 1,
        share_of_commit: 1,
        source: 'transcript',
      },
    ]);
  });

  it('never credits a rejected edit, and splits one session over two commits without double counting', async () => {
    const s = scenario();
    s.t
      .toolUse('toolu_rej', 'Write', { file_path: file(s.repo, 'nope.ts'), content: 'export const refused = notApplied();\n' })
      .toolResult('toolu_rej', { isError: true, content: "The user doesn't want to proceed with this tool use." })
      .write('toolu_ok', file(s.repo, 'part.ts'), 'export const first = partOne();\nexport const second = partTwo();\n');
    s.repo.write('nope.ts', 'export const refused = notApplied();\n').write('part.ts', 'export const first = partOne();\n');
    const one = s.repo.commit('first half', { at: AFTER_EDITS });
    s.repo.write('part.ts', 'export const first = partOne();\nexport const second = partTwo();\n');
    const two = s.repo.commit('second half', { at: AFTER_EDITS + 60 });
    // Written and never committed: counts as written, not as committed.
    await s.run();
    expect(s.outcome(one)).toMatchObject({ nontrivial_added_lines: 2, ai_lines: 1 });
    expect(s.outcome(two)).toMatchObject({ nontrivial_added_lines: 1, ai_lines: 1 });
    // The note says how the session went: its one rejected edit counted (by the root's index).
    expect(s.repo.git('notes', '--ref=refs/notes/paceflow', 'show', one)).toContain('"rejected_edits":1');
    const d = openDatabase(s.db);
    const productivity = d
      .prepare(`SELECT nontrivial_lines_written, lines_committed, landing_rate FROM view_session_productivity WHERE session_id = ?`)
      .get([SESSION]);
    d.close();
    expect(productivity).toEqual({ nontrivial_lines_written: 2, lines_committed: 2, landing_rate: 1 });
  });

  it('an edit never committed lowers the landing rate; commits without evidence are untracked', async () => {
    const s = scenario();
    s.t.write('toolu_x', file(s.repo, 'draft.ts'), 'export const draftOne = 1 + extra;\nexport const draftTwo = 2 + extra;\n');
    s.repo.write('draft.ts', 'export const draftOne = 1 + extra;\n');
    s.repo.commit('one of two', { at: AFTER_EDITS });
    s.repo.write('human.ts', 'export const byHand = writtenByAPerson();\n');
    const human = s.repo.commit('by hand', { at: AFTER_EDITS + 60 });
    await s.run();
    expect(s.outcome(human)).toMatchObject({ ai_lines: 0, attribution_coverage: 'untracked', attribution_source: null });
    const d = openDatabase(s.db);
    expect(d.prepare(`SELECT landing_rate FROM view_session_productivity WHERE session_id = ?`).get([SESSION])).toEqual({
      landing_rate: 0.5,
    });
    expect(
      d.prepare(`SELECT attributed_commits, coverage, ai_lines, nontrivial_added_lines FROM view_repository_commit_quality`).get(),
    ).toEqual({
      attributed_commits: 1,
      coverage: 0.3333,
      ai_lines: 1,
      nontrivial_added_lines: 3,
    });
    d.close();
  });

  // A commit none of whose paths a session wrote is counted from the diff store's summary, its lines
  // unread; one on a written path reads them. Both count only the non-trivial lines, and a rename
  // from a written path reads its lines too.
  it.each([
    ['a path no session wrote', 'human.ts', null],
    ['a path a session wrote', 'draft.ts', null],
    ['a rename of a path a session wrote', 'moved.ts', 'draft.ts'],
  ])('a commit on %s counts its non-trivial added lines only', async (_name, path, from) => {
    const s = scenario();
    // Ten lines a session wrote and a commit took: a rename keeping them is found as one.
    const drafted = Array.from({ length: 10 }, (_, i) => `export const draft${i} = ${i} + extra;\n`).join('');
    s.t.write('toolu_x', file(s.repo, 'draft.ts'), drafted);
    s.repo.write('draft.ts', drafted);
    s.repo.commit('draft', { at: AFTER_EDITS });
    if (from) s.repo.git('mv', from, path);
    const body = ['if (ready) {', '  return computeValue(input);', '}', '', 'else', '  const other = compute(2);', '  x;'].join('\n');
    s.repo.write(path, `${from ? drafted : ''}${body}\n`);
    const later = s.repo.commit('later', { at: AFTER_EDITS + 60 });
    await s.run();
    expect(s.outcome(later)).toMatchObject({ nontrivial_added_lines: 3, ai_lines: 0 });
  });

  it('falls back to trailers in a repository without transcripts', async () => {
    const s = scenario();
    s.repo.write('t.ts', 'export const fromTrailer = generatedCode();\nexport const more = generatedToo();\n');
    const sha = s.repo.commit('feat\n\nCo-Authored-By: Claude <noreply@anthropic.com>', { at: AFTER_EDITS });
    await s.run();
    expect(s.outcome(sha)).toEqual({
      nontrivial_added_lines: 2,
      ai_lines: 2,
      ai_share: 1,
      heavy_ai: 0,
      attribution_coverage: 'tracked',
      attribution_source: 'trailer',
    });
    expect(s.attributions(sha)).toEqual([
      { provider: 'claude-code', session_id: '', matched_lines: 2, share_of_commit: 1, source: 'trailer' },
    ]);
  });
});

describe('show explains each line', () => {
  it('when and by which session and edit a line was written; indentation kept; grouped by file; a marker commit says so', async () => {
    const s = scenario();
    s.t
      .prompt('add two files')
      .write('toolu_b', file(s.repo, 'b.py'), 'def beta():\n    return compute_beta()\n')
      .write('toolu_a', file(s.repo, 'a.py'), 'def alpha():\n    return compute_alpha()\n');
    s.repo.write('b.py', 'def beta():\n    return compute_beta()\n').write('a.py', 'def alpha():\n    return compute_alpha()\n');
    const sha = s.repo.commit('two files', { at: AFTER_EDITS });
    const marked = s.repo
      .write('c.py', 'def gamma():\n    return compute_gamma()\n')
      .commit('gamma\n\nCo-Authored-By: Claude <noreply@anthropic.com>', { at: AFTER_EDITS + 60 });
    await s.run();
    type Line = { path: string; verdict: string; session: string | null; written_at: string | null; edit: string | null; line: string };
    const explained = JSON.parse(await show({ cwd: s.repo.dir, db: s.db, env: s.home.env, commit: sha, format: 'json' })) as {
      lines: Line[];
    };
    expect(explained.lines.map((l) => [l.path, l.line])).toEqual([
      ['a.py', 'def alpha():'],
      ['a.py', '    return compute_alpha()'],
      ['b.py', 'def beta():'],
      ['b.py', '    return compute_beta()'],
    ]);
    expect(explained.lines[0]).toMatchObject({
      verdict: 'written by a session',
      edit: 'Write toolu_a',
      session: expect.stringContaining(SESSION),
    });
    expect(explained.lines[0]!.written_at).toMatch(/^2026-02-01T10:00:\d\d\.000Z$/);
    // What a person reads, whole: fixed repository, dates and session, so the text is stable.
    await expect(await show({ cwd: s.repo.dir, db: s.db, env: s.home.env, commit: sha, format: 'md' })).toMatchFileSnapshot(
      '__snapshots__/show-transcript.md',
    );
    await expect(await show({ cwd: s.repo.dir, db: s.db, env: s.home.env, commit: marked, format: 'md' })).toMatchFileSnapshot(
      '__snapshots__/show-marker.md',
    );
    const byMarker = JSON.parse(await show({ cwd: s.repo.dir, db: s.db, env: s.home.env, commit: marked, format: 'json' })) as {
      lines: Line[];
    };
    expect(byMarker.lines.map((l) => l.verdict)).toEqual([
      "credited by the commit's trailer (its share, not this line)",
      "credited by the commit's trailer (its share, not this line)",
    ]);
  });
});

describe('AI-committed is not AI-written', () => {
  it('aider’s committer-only mark is recorded, not credited; an aider author is', async () => {
    const s = scenario();
    const personal = s.repo
      .write('mine.py', 'def mine():\n    return written_by_the_person()\n')
      .commit('commit my changes', { committer: 'Test Person (aider)', at: AFTER_EDITS });
    const byAider = s.repo
      .write('its.py', 'def its():\n    return written_by_aider()\n')
      .commit('aider wrote this', { author: 'Test Person (aider)', committer: 'Test Person (aider)', at: AFTER_EDITS + 60 });
    await s.run();
    expect(s.outcome(personal)).toMatchObject({ ai_lines: 0, attribution_coverage: 'untracked', attribution_source: null });
    expect(s.outcome(byAider)).toMatchObject({ ai_lines: 2, attribution_source: 'trailer' });
    // show names the real source: an author marker, not a trailer; and who committed the person's work.
    const shown = async (sha: string) =>
      (
        JSON.parse(await show({ cwd: s.repo.dir, db: s.db, env: s.home.env, commit: sha, format: 'json' })) as {
          commit: Record<string, unknown>;
        }
      ).commit;
    expect(await shown(byAider)).toMatchObject({ attribution_source: 'author-marker', ai_committed_by: null });
    expect(await shown(personal)).toMatchObject({ attribution_source: null, ai_committed_by: 'aider' });
    const d = openDatabase(s.db);
    try {
      expect(d.prepare(`SELECT ai_committed_by FROM metadata_commits WHERE sha = ?`).get([personal])).toEqual({ ai_committed_by: 'aider' });
      const byProvider = d
        .prepare(`SELECT provider, ai_marked_commits, by_author, ai_committed_commits FROM view_repository_commits_by_provider`)
        .all();
      expect(byProvider).toEqual([{ provider: 'aider', ai_marked_commits: 1, by_author: 1, ai_committed_commits: 1 }]);
    } finally {
      d.close();
    }
  });
});

describe('moves are not writes', () => {
  it.each([
    [['a = 1', 'b = 2'], ['b = 2', 'a = 1'], []],
    [['x = compute()'], ['x  =  compute()', 'y = fresh()'], ['y = fresh()']],
    [['dup = 1', 'dup = 1'], ['dup = 1', 'dup = 1', 'dup = 1'], ['dup = 1']],
    [[], ['only = added()'], ['only = added()']],
  ])('removed %j, added %j → wrote %j', (removed, added, wrote) => {
    expect(writtenLines(added.join('\n'), removed.join('\n'))).toEqual(wrote);
  });

  it('a session that only moves a block writes none of it: a later commit re-adding the text is not AI', async () => {
    const s = scenario();
    const block = ['def helper_one():', '    return compute_one_value()', 'def helper_two():', '    return compute_two_value()'];
    const before = `${block.join('\n')}\nprint(helper_one())\n`;
    const after = `print(helper_one())\n${block.join('\n')}\n`;
    // Written by a person long before the session (the transcripts' clock starts 2026-02-01).
    s.repo.write('a.py', before).commit('the helpers, written by a person', { at: 3600 });
    // The session moves the block below the call: the same lines removed and added in one edit.
    s.t.edit('toolu_move', file(s.repo, 'a.py'), before, after);
    s.repo.write('a.py', after);
    const moved = s.repo.commit('move the helpers', { at: AFTER_EDITS });
    await s.run();
    expect(s.outcome(moved)!.nontrivial_added_lines).toBeGreaterThan(0);
    expect(s.outcome(moved)).toMatchObject({ ai_lines: 0, attribution_coverage: 'untracked' });
  });
});

describe('paths git writes in diff headers', () => {
  it.each([
    ['sp ace.py', 'a space (git ends the header with a TAB)'],
    ['dir with space/file name.py', 'spaces in the folder and the file'],
    ['ünï cödé.py', 'non-ASCII with a space'],
    ["it's.py", 'a quote'],
    ['tab\there.py', 'a TAB (git quotes the path)'],
    ['new\nline.py', 'a newline (git quotes the path)'],
    ['say "hi".py', 'double quotes (git quotes the path)'],
  ])('%s: %s — the session’s lines are credited, with core.quotePath on and off', async (name) => {
    const s = scenario();
    s.repo.git('config', 'core.quotePath', name.length % 2 === 0 ? 'true' : 'false');
    const ai = ['def total(items):', '    return sum(item.price for item in items)', 'answer = compute_the_answer()'];
    s.t.prompt('add it').write('toolu_sp', file(s.repo, name), `${ai.join('\n')}\n`);
    s.repo.write(name, `${ai.join('\n')}\n`);
    const sha = s.repo.commit('add a file with an odd name', { at: AFTER_EDITS });
    await s.run();
    expect(s.outcome(sha)).toMatchObject({ nontrivial_added_lines: 3, ai_lines: 3, attribution_source: 'transcript' });
  });

  it.each([
    ['b/sp ace.js\t', 'b/sp ace.js'],
    ['b/plain.js', 'b/plain.js'],
    ['"b/say \\"hi\\".py"\t', '"b/say \\"hi\\".py"'],
  ])('headerPath(%j) → %j', (raw, path) => {
    expect(headerPath(raw)).toBe(path);
  });
});

describe('git notes that travel', () => {
  async function attributedRepo() {
    const s = scenario();
    s.t
      .prompt('write the secret sauce')
      .write(
        'toolu_n',
        file(s.repo, 'src/sauce.ts'),
        'export const sauce = mixIngredients(salt, pepper);\nexport const heat = turnUpTheHeat(11);\n',
      );
    s.repo.write(
      'src/sauce.ts',
      'export const sauce = mixIngredients(salt, pepper);\nexport const heat = turnUpTheHeat(11);\nexport const own = personal();\n',
    );
    const sha = s.repo.commit('sauce', { at: AFTER_EDITS });
    await s.run();
    return { s, sha };
  }

  it('writes a versioned note with counts, provider, model and a hashed session id, and nothing private', async () => {
    const { s, sha } = await attributedRepo();
    const text = s.repo.git('notes', '--ref=paceflow', 'show', sha);
    expect(JSON.parse(text)).toEqual({
      schema: 'paceflow/attribution',
      version: 2,
      tool: expect.stringMatching(/^paceflow \d+\.\d+\.\d+/),
      nontrivial_added_lines: 3,
      attributions: [
        {
          provider: 'claude-code',
          model: 'claude-sonnet-4-5-20250929',
          session: expect.stringMatching(/^[0-9a-f]{16}$/),
          lines: 2,
          // Version 2: how the session went, in counts (keys in the documented order).
          work: { prompts: 1, rejected_edits: 0, debug_loop: 0, error_paste: 0 },
        },
      ],
    });
    for (const secret of ['mixIngredients', 'secret sauce', s.repo.dir, s.home.home, 'sauce.ts', SESSION])
      expect(text).not.toContain(secret);
    expect(s.repo.git('config', '--get-all', 'notes.rewriteRef')).toBe('refs/notes/paceflow');
    // A second ingest has nothing new to write.
    await s.run();
    expect(s.repo.git('notes', '--ref=paceflow', 'list').split('\n')).toHaveLength(1);
  });

  it('a fresh clone without the transcripts gets the same attribution from the notes alone', async () => {
    const { s, sha } = await attributedRepo();
    const clone = new TempRepo(tempDir());
    clone.git('clone', '-q', s.repo.dir, '.');
    clone.git('fetch', '-q', 'origin', 'refs/notes/paceflow:refs/notes/paceflow');
    const teammate = emptySessionHome();
    const db = join(tempDir('paceflow-db-'), 'paceflow.db');
    await ingest({ cwd: clone.dir, db, env: teammate.env });
    const d = openDatabase(db);
    const outcome = d
      .prepare(
        `SELECT nontrivial_added_lines, ai_lines, ai_share, heavy_ai, attribution_coverage, attribution_source FROM event_commit_outcomes WHERE sha = ?`,
      )
      .get([sha]);
    const rows = d
      .prepare(`SELECT provider, model, matched_lines, share_of_commit, source FROM event_commit_attributions WHERE sha = ?`)
      .all([sha]);
    d.close();
    expect(outcome).toEqual({ ...s.outcome(sha), attribution_source: 'note' });
    expect(rows).toEqual([
      { provider: 'claude-code', model: 'claude-sonnet-4-5-20250929', matched_lines: 2, share_of_commit: 0.6667, source: 'note' },
    ]);
  });

  it('amend and rebase keep the attribution: git carries the notes to the rewritten commits', async () => {
    const { s } = await attributedRepo();
    s.repo.at(AFTER_EDITS + 120).gitRaw(['commit', '-q', '--amend', '-m', 'sauce, amended']);
    const amended = s.repo.git('rev-parse', 'HEAD');
    expect(JSON.parse(s.repo.git('notes', '--ref=paceflow', 'show', amended))).toMatchObject({ attributions: [{ lines: 2 }] });
    // Rebase onto a new base commit.
    s.repo.git('checkout', '-q', '-b', 'base', 'HEAD~1');
    s.repo.write('other.txt', 'unrelated change here\n').commit('other', { at: AFTER_EDITS + 180 });
    s.repo.git('checkout', '-q', 'main');
    s.repo.at(AFTER_EDITS + 240).gitRaw(['rebase', '-q', 'base']);
    const rebased = s.repo.git('rev-parse', 'HEAD');
    expect(rebased).not.toBe(amended);
    expect(JSON.parse(s.repo.git('notes', '--ref=paceflow', 'show', rebased))).toMatchObject({ attributions: [{ lines: 2 }] });
    await s.run();
    expect(s.outcome(rebased)).toMatchObject({ ai_lines: 2, attribution_source: 'transcript' });
  });

  it('reads git-ai authorship notes (refs/notes/ai) as another source; --no-notes writes none', async () => {
    const s = scenario();
    s.repo.write('g.ts', 'export const one = fromGitAi(1);\nexport const two = fromGitAi(2);\nexport const three = byHand(3);\n');
    const sha = s.repo.commit('git-ai work', { at: AFTER_EDITS });
    addGitAiNote(s.repo, sha);
    for (const x of [s.t]) {
      const dir = join(s.home.claudeProjects, '-repo');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${x.sessionId}.jsonl`), x.text());
    }
    await ingest({ cwd: s.repo.dir, db: s.db, env: s.home.env, notes: false });
    expect(s.attributions(sha)).toEqual([
      { provider: 'cursor', session_id: 'abcd1234abcd1234', matched_lines: 2, share_of_commit: 0.6667, source: 'note' },
    ]);
    expect(s.repo.git('notes', '--ref=paceflow', 'list')).toBe('');
  });
});

describe('attribution from Codex rollouts', () => {
  it('credits lines a Codex apply_patch added, confirmed by patch_apply_end', async () => {
    const s = scenario();
    const rollout = new CodexRollout('019e3000-0000-7000-8000-00000000c0de', s.repo.dir)
      .prompt('add the parser')
      .addFile('call_parser0000000000001', 'parser.py', 'def parse(text):\n    return [token for token in text.split()]\n');
    const dir = join(s.home.codexHome, 'sessions', '2026', '02', '01');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'rollout-2026-02-01T12-00-00-019e3000-0000-7000-8000-00000000c0de.jsonl'), rollout.text());
    s.repo.write('parser.py', 'def parse(text):\n    return [token for token in text.split()]\n\n# reviewed by a person\n');
    const sha = s.repo.commit('parser', { at: AFTER_EDITS });
    await s.run();
    expect(s.outcome(sha)).toMatchObject({ nontrivial_added_lines: 3, ai_lines: 2, ai_share: 0.6667, heavy_ai: 1 });
    expect(s.attributions(sha)).toEqual([
      {
        provider: 'codex',
        session_id: 'codex:019e3000-0000-7000-8000-00000000c0de',
        matched_lines: 2,
        share_of_commit: 0.6667,
        source: 'transcript',
      },
    ]);
  });
});

describe('attribution rebuild', () => {
  it('dropping the attribution events and rebuilding from facts gives identical rows', async () => {
    const s = scenario();
    s.t.write('toolu_r', file(s.repo, 'r.ts'), 'export const rebuilt = sameAsBefore();\nexport const again = sameAgain();\n');
    s.repo.write('r.ts', 'export const rebuilt = sameAsBefore();\nexport const again = sameAgain();\nexport const mine = own();\n');
    s.repo.commit('r', { at: AFTER_EDITS });
    s.repo
      .write('t.ts', 'export const trailer = viaTrailer();\n')
      .commit('t\n\nCo-authored-by: Codex <codex@openai.com>', { at: AFTER_EDITS + 60 });
    await s.run();
    const d = openDatabase(s.db);
    // s.run() writes the transcript again (same bytes, new mtime): the watermark's mtime moves.
    const rewritten = ['fact_ingest_watermarks.mtime_ms'];
    const before = snapshot(d, rewritten);
    d.exec('DELETE FROM event_commit_attributions; DELETE FROM event_commit_outcomes;');
    d.close();
    await s.run();
    const after = openDatabase(s.db);
    expect(snapshot(after, rewritten)).toEqual(before);
    expect(before.event_commit_outcomes).toHaveLength(3);
    after.close();
  });
});

describe('churn of AI lines on mainline', () => {
  it('counts lines modified or deleted within the window; moves, reformatting and later changes do not count', async () => {
    const s = scenario();
    const ai = [
      'export const alpha = computeAlpha(1);',
      'export const beta = computeBeta(2);',
      'export const gamma = computeGamma(3);',
      'export const delta = computeDelta(4);',
      'export const epsilon = computeEpsilon(5);',
    ];
    s.t.write('toolu_c', file(s.repo, 'c.ts'), `${ai.join('\n')}\n`);
    s.repo.write('c.ts', `${ai.join('\n')}\n`);
    const sha = s.repo.commit('ai code', { at: AFTER_EDITS });
    const day = 86400;
    // Modified within the window: churn.
    s.repo
      .write('c.ts', `${[ai[0], 'export const beta = computeBetaDifferently(2);', ai[2], ai[3], ai[4]].join('\n')}\n`)
      .commit('tweak beta', { at: AFTER_EDITS + day });
    // Re-indented: not churn.
    s.repo
      .write('c.ts', `${[ai[0], 'export const beta = computeBetaDifferently(2);', `    ${ai[2]}`, ai[3], ai[4]].join('\n')}\n`)
      .commit('indent', { at: AFTER_EDITS + 2 * day });
    // Moved to another file: not churn.
    s.repo
      .write('c.ts', `${[ai[0], 'export const beta = computeBetaDifferently(2);', `    ${ai[2]}`, ai[4]].join('\n')}\n`)
      .write('d.ts', `${ai[3]}\n`)
      .commit('move delta', { at: AFTER_EDITS + 3 * day });
    // Deleted after the 14-day window: not counted.
    s.repo
      .write('c.ts', `${['export const beta = computeBetaDifferently(2);', `    ${ai[2]}`, ai[4]].join('\n')}\n`)
      .commit('drop alpha', { at: AFTER_EDITS + 20 * day });
    await s.run();
    const d = openDatabase(s.db);
    expect(
      d
        .prepare(`SELECT window_days, ai_lines_reaching_mainline, ai_lines_churned, window_closed FROM event_commit_churn WHERE sha = ?`)
        .get([sha]),
    ).toEqual({
      window_days: 14,
      ai_lines_reaching_mainline: 5,
      ai_lines_churned: 1,
      window_closed: 1,
    });
    // Beside them: the lines people wrote (the root README and the three later commits), none churned.
    expect(
      d
        .prepare(
          `SELECT provider, commits, ai_lines_reaching_mainline, ai_lines_churned, churn_rate, nonai_lines_reaching_mainline, nonai_lines_churned, nonai_churn_rate FROM view_repository_churn_summary`,
        )
        .all(),
    ).toEqual([
      {
        provider: 'claude-code',
        commits: 1,
        ai_lines_reaching_mainline: 5,
        ai_lines_churned: 1,
        churn_rate: 0.2,
        nonai_lines_reaching_mainline: 4,
        nonai_lines_churned: 0,
        nonai_churn_rate: 0,
      },
    ]);
    d.close();
  });

  it('a revert inside the window churns every AI line it removes', async () => {
    const s = scenario();
    s.t.write('toolu_r', file(s.repo, 'r.ts'), 'export const one = reverted(1);\nexport const two = reverted(2);\n');
    s.repo.write('r.ts', 'export const one = reverted(1);\nexport const two = reverted(2);\n');
    const sha = s.repo.commit('ai code', { at: AFTER_EDITS });
    s.repo.at(AFTER_EDITS + 3600).git('revert', '--no-edit', sha);
    await s.run();
    const d = openDatabase(s.db);
    expect(d.prepare(`SELECT ai_lines_churned FROM event_commit_churn WHERE sha = ?`).get([sha])).toEqual({ ai_lines_churned: 2 });
    expect(d.prepare(`SELECT reverted_later, revert_kind FROM event_commit_outcomes WHERE sha = ?`).get([sha])).toEqual({
      reverted_later: 1,
      revert_kind: 'message',
    });
    d.close();
  });
});

describe('churn of lines without AI evidence, beside AI churn', () => {
  const churnRows = (db: string) => {
    const d = openDatabase(db);
    try {
      return d
        .prepare(
          `SELECT sha, ai_lines_reaching_mainline AS ai, ai_lines_churned AS ai_churned, nonai_lines_reaching_mainline AS other, nonai_lines_churned AS other_churned FROM event_commit_churn ORDER BY sha`,
        )
        .all<{ sha: string }>()
        .reduce<Record<string, unknown>>((rows, { sha, ...rest }) => {
          rows[sha] = rest;
          return rows;
        }, {});
    } finally {
      d.close();
    }
  };

  it('counts each mainline commit’s other lines and their churn, in the same window', async () => {
    const s = scenario();
    const human = [
      'export const one = byHand(1);',
      'export const two = byHand(2);',
      'export const three = byHand(3);',
      'export const four = byHand(4);',
    ];
    s.repo.write('h.ts', `${human.join('\n')}\n`);
    const byHand = s.repo.commit('by hand', { at: AFTER_EDITS });
    s.t.write('toolu_a', file(s.repo, 'a.ts'), 'export const aiOne = fromAi(1);\nexport const aiTwo = fromAi(2);\n');
    s.repo.write('a.ts', 'export const aiOne = fromAi(1);\nexport const aiTwo = fromAi(2);\n');
    const byAi = s.repo.commit('by ai', { at: AFTER_EDITS + 3600 });
    // A day later one line of each is rewritten: both churn.
    s.repo.write('h.ts', `${[human[0], 'export const two = rewritten(2);', human[2], human[3]].join('\n')}\n`);
    s.repo.write('a.ts', 'export const aiOne = rewritten(1);\nexport const aiTwo = fromAi(2);\n');
    const rewrite = s.repo.commit('rewrite', { at: AFTER_EDITS + 86400 });
    await s.run();
    const root = s.repo.git('rev-list', '--max-parents=0', 'HEAD');
    expect(churnRows(s.db)).toEqual({
      [root]: { ai: 0, ai_churned: 0, other: 1, other_churned: 0 }, // '# project'
      [byHand]: { ai: 0, ai_churned: 0, other: 4, other_churned: 1 },
      [byAi]: { ai: 2, ai_churned: 1, other: 0, other_churned: 0 },
      [rewrite]: { ai: 0, ai_churned: 0, other: 2, other_churned: 0 },
    });
    const d = openDatabase(s.db);
    expect(
      d
        .prepare(
          `SELECT provider, ai_lines_reaching_mainline, churn_rate, nonai_lines_reaching_mainline, nonai_lines_churned, nonai_churn_rate FROM view_repository_churn_summary`,
        )
        .all(),
    ).toEqual([
      {
        provider: 'claude-code',
        ai_lines_reaching_mainline: 2,
        churn_rate: 0.5,
        nonai_lines_reaching_mainline: 7,
        nonai_lines_churned: 1,
        nonai_churn_rate: 0.1429,
      },
    ]);
    d.close();
    // Nothing new: the rows whose window closed stay as they are.
    await s.run();
    expect(churnRows(s.db)[byHand]).toEqual({ ai: 0, ai_churned: 0, other: 4, other_churned: 1 });
  });

  it('a squash merge carries its branch commits’ AI lines; they are counted once, on the mainline commit', async () => {
    const s = scenario();
    s.repo.git('checkout', '-q', '-b', 'topic');
    s.t.write('toolu_s', file(s.repo, 's.ts'), 'export const squashed = fromAi(1);\nexport const alsoSquashed = fromAi(2);\n');
    s.repo.write('s.ts', 'export const squashed = fromAi(1);\nexport const alsoSquashed = fromAi(2);\nexport const mine = byHand(3);\n');
    const branchCommit = s.repo.commit('topic work', { at: AFTER_EDITS });
    s.repo.git('checkout', '-q', 'main');
    s.repo.git('merge', '-q', '--squash', 'topic');
    const squash = s.repo.commit('Topic (#7)', { at: AFTER_EDITS + 3600 });
    await s.run();
    const rows = churnRows(s.db);
    expect(rows[branchCommit]).toBeUndefined();
    expect(rows[squash]).toEqual({ ai: 2, ai_churned: 0, other: 1, other_churned: 0 });
    const d = openDatabase(s.db);
    expect(
      d
        .prepare(`SELECT provider, commits, ai_lines_reaching_mainline, nonai_lines_reaching_mainline FROM view_repository_churn_summary`)
        .all(),
    ).toEqual([
      { provider: 'claude-code', commits: 1, ai_lines_reaching_mainline: 2, nonai_lines_reaching_mainline: 2 }, // with the root README
    ]);
    d.close();
  });

  it('a force-pushed mainline rebuilds the churn rows: rewritten commits go, their replacements count', async () => {
    const s = scenario();
    s.t.write('toolu_f', file(s.repo, 'f.ts'), 'export const kept = fromAi(1);\nexport const dropped = fromAi(2);\n');
    s.repo.write('f.ts', 'export const kept = fromAi(1);\nexport const dropped = fromAi(2);\n');
    const ai = s.repo.commit('ai', { at: AFTER_EDITS });
    s.repo.write('f.ts', 'export const kept = fromAi(1);\n');
    const drop = s.repo.commit('drop a line', { at: AFTER_EDITS + 3600 });
    await s.run();
    expect(churnRows(s.db)[ai]).toEqual({ ai: 2, ai_churned: 1, other: 0, other_churned: 0 });
    // Mainline is rewritten: the dropping commit is replaced by one that keeps both lines.
    s.repo.git('reset', '-q', '--hard', ai);
    s.repo.write('g.ts', 'export const unrelated = somethingElse();\n');
    const replacement = s.repo.commit('unrelated instead', { at: AFTER_EDITS + 7200 });
    await s.run();
    const rows = churnRows(s.db);
    expect(rows[drop]).toBeUndefined();
    expect(rows[ai]).toEqual({ ai: 2, ai_churned: 0, other: 0, other_churned: 0 });
    expect(rows[replacement]).toEqual({ ai: 0, ai_churned: 0, other: 1, other_churned: 0 });
  });

  it('with counts only (a note, as in CI), churned lines split by the commit’s AI share', async () => {
    const s = scenario();
    s.repo.write('g.ts', 'export const one = fromGitAi(1);\nexport const two = fromGitAi(2);\nexport const three = byHand(3);\n');
    const sha = s.repo.commit('git-ai work', { at: AFTER_EDITS });
    addGitAiNote(s.repo, sha);
    s.repo
      .write('g.ts', 'export const two = fromGitAi(2);\nexport const three = byHand(3);\n')
      .commit('drop one', { at: AFTER_EDITS + 86400 });
    await ingest({ cwd: s.repo.dir, db: s.db, env: s.home.env, notes: false });
    // Two thirds of each line is AI: reaching 2 AI + 1 other; the one churned line counts as AI.
    expect(churnRows(s.db)[sha]).toEqual({ ai: 2, ai_churned: 1, other: 1, other_churned: 0 });
  });
});

describe('report --range', () => {
  it('gives the AI share of the lines a range added that survive at its end, per provider, limited by pathspecs', async () => {
    const s = scenario();
    s.repo.git('tag', 'v1');
    const ai = [
      'export const one = aiOne();',
      'export const two = aiTwo();',
      'export const three = aiThree();',
      'export const four = aiFour();',
    ];
    s.t.write('toolu_range', file(s.repo, 'src/feature.ts'), `${ai.join('\n')}\n`);
    s.repo.write('src/feature.ts', `${ai.join('\n')}\n`).commit('ai feature', { at: AFTER_EDITS });
    s.repo
      .write('src/human.ts', 'export const mine = byHand();\nexport const also = byHandToo();\n')
      .commit('human', { at: AFTER_EDITS + 60 });
    // One AI line removed later: it does not survive at the end of the range.
    s.repo.write('src/feature.ts', `${[ai[0], ai[1], ai[2]].join('\n')}\n`).commit('trim', { at: AFTER_EDITS + 120 });
    // Vendored code with an AI trailer, left out by a pathspec.
    s.repo
      .write('vendor/lib.ts', 'export const vendored = thirdParty();\n')
      .commit('vendor\n\nCo-Authored-By: Claude <noreply@anthropic.com>', { at: AFTER_EDITS + 180 });
    await s.run();
    const { report } = await import('../src/cli/commands/report.js');
    const result = await report({
      cwd: s.repo.dir,
      db: s.db,
      env: s.home.env,
      format: 'json',
      range: 'v1..HEAD',
      pathspecs: [':!vendor'],
      views: ['repository_ai_share'],
      ingest: false,
    });
    const parsed = reportSections(result.output) as Record<string, unknown[]>;
    const row = {
      surviving_nontrivial_lines: 5,
      surviving_lines: 5,
      ai_lines: 3,
      ai_share: 0.6,
      ai_share_of_all_lines: 0.6,
      coverage: 0.6,
      commits: 1,
    };
    expect(parsed['range v1..HEAD']).toEqual([
      { provider: 'claude-code', source: 'transcript', ...row },
      { provider: '(all AI)', source: '(all)', ...row },
    ]);
    const all = reportSections(
      (
        await report({
          cwd: s.repo.dir,
          db: s.db,
          env: s.home.env,
          format: 'json',
          range: 'v1..HEAD',
          views: ['repository_ai_share'],
          ingest: false,
        })
      ).output,
    ) as Record<string, { provider: string; source: string; ai_lines: number; surviving_nontrivial_lines: number }[]>;
    expect(all['range v1..HEAD']!.at(-1)).toMatchObject({ ai_lines: 4, surviving_nontrivial_lines: 6 });
    const md = await report({
      cwd: s.repo.dir,
      db: s.db,
      env: s.home.env,
      format: 'md',
      range: 'v1..HEAD',
      views: ['repository_ai_share'],
      ingest: false,
    });
    await expect(md.output.slice(md.output.indexOf('### range')).split('\n### view_')[0]).toMatchFileSnapshot(
      '__snapshots__/report-range.md',
    );
    // Per provider and kind of evidence: the vendored commit counts through its trailer.
    expect(all['range v1..HEAD']!.map((r) => [r.provider, r.source])).toEqual([
      ['claude-code', 'transcript'],
      ['claude-code', 'trailer'],
      ['(all AI)', '(all)'],
    ]);
  });

  async function range(s: ReturnType<typeof scenario>, spec: string, options: { cwd?: string; pathspecs?: string[] } = {}) {
    const { report } = await import('../src/cli/commands/report.js');
    const result = await report({
      cwd: options.cwd ?? s.repo.dir,
      db: s.db,
      env: s.home.env,
      format: 'json',
      range: spec,
      views: ['repository_ai_share'],
      ingest: false,
      ...(options.pathspecs ? { pathspecs: options.pathspecs } : {}),
    });
    const parsed = reportSections(result.output) as Record<
      string,
      { provider: string; ai_lines: number; surviving_nontrivial_lines: number }[]
    >;
    return parsed[`range ${spec}`]!.at(-1)!;
  }

  it('pathspecs are read from the directory it runs in, as git reads them', async () => {
    const s = scenario();
    s.repo.git('tag', 'v1');
    s.repo
      .write('sub/a.py', 'def alpha():\n    return compute_alpha()\n')
      .write('b.py', 'def beta():\n    return compute_beta()\n')
      .commit('two files', { at: AFTER_EDITS });
    await s.run();
    expect(await range(s, 'v1..HEAD', { cwd: join(s.repo.dir, 'sub'), pathspecs: ['a.py'] })).toMatchObject({
      surviving_nontrivial_lines: 2,
    });
    expect(await range(s, 'v1..HEAD', { pathspecs: ['sub/a.py'] })).toMatchObject({ surviving_nontrivial_lines: 2 });
  });

  it('a file with no net change across the range still counts the lines blame credits to the range', async () => {
    const s = scenario();
    s.repo.write('base.py', 'def kept():\n    return compute_kept()\n').commit('base', { at: AFTER_EDITS - 600 });
    s.repo.git('tag', 'v1');
    // A side branch rewrites a line and a later commit puts the file back as it was: no net diff,
    // yet at the end blame credits the restored line to a range commit.
    s.repo.write('base.py', 'def kept():\n    return compute_changed()\n').commit('change', { at: AFTER_EDITS });
    s.repo.write('base.py', 'def kept():\n    return compute_kept()\n').commit('change back', { at: AFTER_EDITS + 60 });
    await s.run();
    expect(s.repo.git('diff', '--stat', 'v1', 'HEAD')).toBe('');
    expect(await range(s, 'v1..HEAD')).toMatchObject({ surviving_nontrivial_lines: 1 });
  });

  it('a moved block keeps the commit that wrote it (blame -M -C)', async () => {
    const s = scenario();
    const block = ['def helper_one():', '    return compute_one_value()', 'def helper_two():', '    return compute_two_value()'];
    s.repo.write('a.py', `${block.join('\n')}\nprint(helper_one())\n`).commit('write the helpers', { at: AFTER_EDITS - 600 });
    s.repo.git('tag', 'v1');
    // Move the helpers into their own file: a move, not new code.
    s.repo
      .write('a.py', 'from helpers import helper_one\nprint(helper_one())\n')
      .write('helpers.py', `${block.join('\n')}\n`)
      .commit('move the helpers', { at: AFTER_EDITS });
    await s.run();
    // Only the import line is new in the range.
    expect(await range(s, 'v1..HEAD')).toMatchObject({ surviving_nontrivial_lines: 1 });
  });

  it('gives the share over all surviving lines too, trivial ones included', async () => {
    const s = scenario();
    s.repo.git('tag', 'v1');
    const ai = ['def total(items):', '    return sum(item.price for item in items)', '', '# end'];
    s.t.write('toolu_all', file(s.repo, 'calc.py'), `${ai.join('\n')}\n`);
    s.repo.write('calc.py', `${ai.join('\n')}\n`).commit('calc', { at: AFTER_EDITS });
    await s.run();
    // 2 non-trivial lines (both AI) of 4 lines.
    expect(await range(s, 'v1..HEAD')).toMatchObject({
      ai_lines: 2,
      surviving_nontrivial_lines: 2,
      ai_share: 1,
      surviving_lines: 4,
      ai_share_of_all_lines: 0.5,
    });
  });

  it('A...B reads from the merge base of A and B', async () => {
    const s = scenario();
    s.repo.git('checkout', '-q', '-b', 'topic');
    s.repo.write('t.py', 'def topic_work():\n    return compute_topic()\n').commit('topic', { at: AFTER_EDITS });
    s.repo.git('checkout', '-q', 'main');
    s.repo.write('m.py', 'def main_work():\n    return compute_main()\n').commit('main', { at: AFTER_EDITS + 60 });
    await s.run();
    expect(await range(s, 'main...topic')).toMatchObject({ surviving_nontrivial_lines: 2 });
  });

  it('pathspecs limit every view, computed on a copy: the database keeps its whole-repository figures', async () => {
    const s = scenario();
    const ai = [
      'export const one = aiOne();',
      'export const two = aiTwo();',
      'export const three = aiThree();',
      'export const four = aiFour();',
    ];
    s.t.write('toolu_scope', file(s.repo, 'src/feature.ts'), `${ai.join('\n')}\n`);
    s.repo.write('src/feature.ts', `${ai.join('\n')}\n`).commit('ai feature', { at: AFTER_EDITS });
    s.repo
      .write('src/human.ts', 'export const mine = byHand();\nexport const also = byHandToo();\n')
      .commit('human', { at: AFTER_EDITS + 60 });
    s.repo
      .write('vendor/lib.ts', 'export const vendored = thirdParty();\n')
      .commit('vendor\n\nCo-Authored-By: Claude <noreply@anthropic.com>', { at: AFTER_EDITS + 180 });
    await s.run();
    const { report } = await import('../src/cli/commands/report.js');
    const views = ['repository_ai_share', 'repository_commit_quality', 'repository_churn_summary'];
    const scoped = await report({
      cwd: join(s.repo.dir, 'src'),
      db: s.db,
      env: s.home.env,
      format: 'json',
      pathspecs: ['*.ts'],
      views,
      ingest: false,
    });
    const rows = reportSections(scoped.output) as Record<string, Record<string, unknown>[]>;
    // Run from src/, '*.ts' matches src/feature.ts and src/human.ts only, as git would match it.
    expect(
      rows.view_repository_ai_share!.map(({ provider, source, ai_lines, share_of_repo }) => ({
        provider,
        source,
        ai_lines,
        share_of_repo,
      })),
    ).toEqual([{ provider: 'claude-code', source: 'transcript', ai_lines: 4, share_of_repo: 0.6667 }]);
    expect(rows.view_repository_commit_quality![0]).toMatchObject({ commits: 2 });
    expect(rows.view_repository_churn_summary![0]).toMatchObject({ ai_lines_reaching_mainline: 4, nonai_lines_reaching_mainline: 2 });
    expect(scoped.notes.join('\n')).toContain('*.ts: commit figures count only lines in the 2 matching paths');
    const whole = reportSections(
      (await report({ cwd: s.repo.dir, db: s.db, env: s.home.env, format: 'json', views, ingest: false })).output,
    ) as Record<string, Record<string, unknown>[]>;
    expect(whole.view_repository_ai_share!.map((r) => [r.source, r.ai_lines, r.share_of_repo])).toEqual([
      ['trailer', 1, 0.125],
      ['transcript', 4, 0.5],
    ]);
  });
});

describe('a transcript that grows after it was read', () => {
  it('is read again, and a commit of what it wrote since is credited (sql/023: its session’s end moves, its start does not)', async () => {
    const s = scenario();
    s.t.prompt('first').write('toolu_g1', file(s.repo, 'grow.ts'), 'export const first = computeFirst();\n');
    s.repo.write('grow.ts', 'export const first = computeFirst();\n');
    const one = s.repo.commit('first part', { at: AFTER_EDITS });
    await s.run();
    // The session goes on: the same file, one more write (a trigger under the session upsert once
    // inserted the same replay point twice here, and the ingest failed on its key).
    s.t
      .prompt('second')
      .write('toolu_g2', file(s.repo, 'grow.ts'), 'export const first = computeFirst();\nexport const second = computeSecond();\n');
    s.repo.write('grow.ts', 'export const first = computeFirst();\nexport const second = computeSecond();\n');
    const two = s.repo.commit('second part', { at: AFTER_EDITS + 60 });
    await s.run();
    expect(s.attributions(one)).toEqual([
      { provider: 'claude-code', session_id: `claude-code:${s.t.sessionId}`, matched_lines: 1, share_of_commit: 1, source: 'transcript' },
    ]);
    expect(s.attributions(two)).toEqual([
      { provider: 'claude-code', session_id: `claude-code:${s.t.sessionId}`, matched_lines: 1, share_of_commit: 1, source: 'transcript' },
    ]);
  });
});

describe('attribution from aider', () => {
  /** A chat history in which aider applied an edit to util.py, and, when given, made `commit`. */
  const aiderHistory = (commit?: string) =>
    `${[
      '',
      '# aider chat started at 2026-02-01 10:00:00',
      '',
      '> Aider v0.86.0',
      '> Model: claude-sonnet-4-5 with diff edit format',
      '',
      '#### add a helper',
      '',
      'Here is the helper.',
      '',
      '> Applied edit to util.py',
      ...(commit ? [`> Commit ${commit.slice(0, 7)} feat: add helper`] : []),
    ].join('\n')}\n`;
  const aiderRow = {
    provider: 'aider',
    session_id: expect.stringMatching(/^aider:/),
    matched_lines: 2,
    share_of_commit: 1,
    source: 'transcript',
  };

  it('a commit aider reports making (`> Commit <sha7>`) is its session’s work', async () => {
    const s = scenario();
    s.repo.write('util.py', 'def helper(value):\n    return value * factor\n');
    const sha = s.repo.commit('aider: add helper', { at: AFTER_EDITS });
    s.repo.write('.aider.chat.history.md', aiderHistory(sha));
    await s.run();
    expect(s.attributions(sha)).toEqual([aiderRow]);
  });

  it('a commit line added to a history already read attributes that commit again (sql/022: the writer, not a trigger)', async () => {
    const s = scenario();
    s.repo.write('util.py', 'def helper(value):\n    return value * factor\n');
    const sha = s.repo.commit('add helper', { at: AFTER_EDITS });
    s.repo.write('.aider.chat.history.md', aiderHistory());
    await s.run();
    expect(s.attributions(sha)).toEqual([]);
    // The session and its commit were read and built; only the new line says aider made it.
    s.repo.write('.aider.chat.history.md', aiderHistory(sha));
    await s.run();
    expect(s.attributions(sha)).toEqual([aiderRow]);
  });
});

describe('partial reverts', () => {
  it('a later commit that deletes at least half of an AI commit’s remaining lines reverts it partially', async () => {
    const s = scenario();
    const ai = [
      'export const p1 = partOne();',
      'export const p2 = partTwo();',
      'export const p3 = partThree();',
      'export const p4 = partFour();',
    ];
    s.t.write('toolu_pr', file(s.repo, 'p.ts'), `${ai.join('\n')}\n`);
    s.repo.write('p.ts', `${ai.join('\n')}\n`);
    const sha = s.repo.commit('ai part', { at: AFTER_EDITS });
    s.t.write('toolu_q', file(s.repo, 'q.ts'), `${ai.map((l) => l.replace('const p', 'const q')).join('\n')}\n`);
    s.repo.write('q.ts', `${ai.map((l) => l.replace('const p', 'const q')).join('\n')}\n`);
    const kept = s.repo.commit('ai kept', { at: AFTER_EDITS + 60 });
    // Three of p.ts's four lines go; one of q.ts's four.
    s.repo.write('p.ts', `${ai[0]}\n`).write(
      'q.ts',
      `${ai
        .slice(1)
        .map((l) => l.replace('const p', 'const q'))
        .join('\n')}\n`,
    );
    const remover = s.repo.commit('trim by hand', { at: AFTER_EDITS + 3600 });
    await s.run();
    const d = openDatabase(s.db);
    const row = (x: string) =>
      d.prepare(`SELECT reverted_later, reverted_by, revert_kind FROM event_commit_outcomes WHERE sha = ?`).get([x]);
    expect(row(sha)).toEqual({ reverted_later: 1, reverted_by: remover, revert_kind: 'partial' });
    expect(row(kept)).toEqual({ reverted_later: 0, reverted_by: null, revert_kind: null });
    d.close();
  });
});

describe('written lines, as numbers', () => {
  const write = (at: number, editId: string) => ({
    at,
    sessionId: `s-${editId}`,
    provider: 'claude-code',
    model: null,
    editId,
    toolName: 'Edit',
    creditKey: `claude-code\0s-${editId}`,
    key: `s-${editId}\0${editId}`,
  });
  /** Three writes of one text to a.ts (at 10, 20, 30 s), one to b.ts; many lines of one edit between them. */
  const lines = () => {
    const written = new WrittenLines();
    const filler = write(5_000, 'filler');
    for (let i = 0; i < 3000; i++) written.add('filler.ts', `const filler${i} = ${i};`, filler);
    written.add('a.ts', '  return compute(value);', write(30_000, 'e30'));
    written.add('a.ts', 'return   compute(value);', write(10_000, 'e10'));
    written.add('a.ts', 'return compute(value);', write(20_000, 'e20'));
    written.add('b.ts', 'return compute(value);', write(15_000, 'b15'));
    written.add('a.ts', '}', write(1_000, 'trivial'));
    written.sort();
    return written;
  };
  const takes = (written: WrittenLines, paths: string[], at: number) =>
    written.take(paths, '\treturn compute(value);', at)?.write.editId ?? null;

  it.each([
    { paths: ['a.ts'], at: [40, 40, 40, 40], expected: ['e30', 'e20', 'e10', null] },
    { paths: ['a.ts'], at: [25, 25, 40], expected: ['e20', 'e10', 'e30'] },
    // A commit time has whole seconds: a write in its second counts.
    { paths: ['a.ts'], at: [9, 9.999], expected: [null, null] },
    { paths: ['a.ts'], at: [10], expected: ['e10'] },
    { paths: ['c.ts', 'b.ts', 'a.ts'], at: [40, 40], expected: ['b15', 'e30'] },
  ])('takes the latest unused write before the commit: $paths at $at → $expected', ({ paths, at, expected }) => {
    const written = lines();
    expect(at.map((s) => takes(written, paths, Math.floor(s) * 1000))).toEqual(expected);
  });

  it('marks the writes of an edit taken by commits not replayed, and knows the paths written', () => {
    const written = lines();
    written.markUsed('e30', 'a.ts', 'return compute(value);', 1);
    written.markUsed('e20', 'a.ts', 'return compute(value);', 5);
    expect([takes(written, ['a.ts'], 40_000), takes(written, ['a.ts'], 40_000)]).toEqual(['e10', null]);
    expect(written.take(['filler.ts'], 'const filler2999 = 2999;', 5_000)?.write.editId).toBe('filler');
    expect([written.hasPath('a.ts'), written.hasPath('filler.ts'), written.hasPath('c.ts')]).toEqual([true, true, false]);
  });
});

describe("a batch's shares and flags", () => {
  // The outcome build re-checks partial reverts when a mainline commit's heavy-AI evidence changed:
  // the batch bumps heavy_mainline_gen then, and only then.
  const generation = (db: ReturnType<typeof tempDatabase>) =>
    db.prepare(`SELECT value FROM paceflow_meta WHERE key = 'heavy_mainline_gen:r'`).get<{ value: string }>()?.value ?? null;
  const config = { heavyAiThreshold: 0.5, heavyAiMinLines: 3 };
  const at = '2026-01-01T00:00:00Z';
  it.each([
    { name: 'a mainline commit turns heavy', via: 'ancestor', lines: [2, 8], bumps: true },
    { name: 'a mainline commit stops being heavy', via: 'ancestor', lines: [8, 2], bumps: true },
    { name: 'a mainline commit stays heavy', via: 'ancestor', lines: [8, 9], bumps: false },
    { name: 'a mainline commit stays light', via: 'ancestor', lines: [1, 2], bumps: false },
    { name: 'a commit that reached mainline as a copy turns heavy', via: 'patch-id', lines: [2, 8], bumps: false },
    { name: 'a commit off mainline turns heavy', via: null, lines: [2, 8], bumps: false },
  ])('bump the heavy mainline generation when $name: $bumps', ({ via, lines, bumps }) => {
    const db = tempDatabase();
    const shas = ['a1', 'b2', 'c3'];
    db.transaction(() => {
      for (const sha of shas) {
        db.prepare(
          `INSERT INTO event_commit_outcomes (repo_id, sha, committed_at, nontrivial_added_lines, ai_lines, heavy_ai, attribution_coverage, mainline_via)
           VALUES ('r', ?, ?, 10, 0, 0, 'untracked', ?)`,
        ).run([sha, at, sha === 'b2' ? via : 'ancestor']);
      }
    });
    const writeOutcome = outcomeWriter(db, config);
    const writeAttribution = attributionWriter(db);
    // A batch as attribution writes it: each commit's attributions, then its outcome row (which
    // keeps its mainline state), between the generation's two looks.
    const batch = (n: number, list: string[]) =>
      db.transaction(() =>
        bumpWhenHeavyMainlineMoves(db, 'r', list, () => {
          for (const sha of new Set(list)) {
            const ai = sha === 'b2' ? n : 0;
            db.prepare(`DELETE FROM event_commit_attributions WHERE sha = ?`).run([sha]);
            writeAttribution({
              repo: 'r',
              sha,
              provider: 'claude-code',
              session: 's',
              model: '',
              lines: ai,
              nontrivial: 10,
              source: 'transcript',
            });
            writeOutcome({ repo: 'r', sha, at, nontrivial: 10, ai });
          }
        }),
      );
    batch(lines[0]!, shas);
    const before = generation(db);
    // The commit twice in the list, as a batch can hand it.
    batch(lines[1]!, ['b2', 'c3', 'b2']);
    expect(generation(db) !== before).toBe(bumps);
    const row = db
      .prepare(`SELECT heavy_ai, mainline_via FROM event_commit_outcomes WHERE sha = 'b2'`)
      .get<{ heavy_ai: number; mainline_via: string | null }>()!;
    expect(row).toEqual({ heavy_ai: lines[1]! >= 5 ? 1 : 0, mainline_via: via });
  });

  // Write calls this process made (Linux): what SQLite spilled to its temporary files.
  const writeCalls = () => Number(/syscw: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))![1]);

  it('are computed as each row is written, with no statement journal spilled to a file, and say what the whole update says', () => {
    const db = tempDatabase();
    const writeOutcome = outcomeWriter(db, config);
    const writeAttribution = attributionWriter(db);
    // A batch's new rows, over enough pages (~5,000 rows) that a statement journal of them passes
    // 64 KiB. Each commit's attributions first (none, one, or two of different sources), then its
    // row; some commits have no non-trivial line (no share), some a note's count above it.
    const shas = Array.from({ length: 5000 }, (_, i) => createHash('sha1').update(String(i)).digest('hex'));
    const sources = [[], ['transcript'], ['note'], ['trailer'], ['note', 'trailer'], ['trailer', 'transcript']] as const;
    let written = -1;
    db.transaction(() => {
      const before = writeCalls();
      shas.forEach((sha, i) => {
        const nontrivial = i % 7;
        const lines = i % 5;
        for (const [k, source] of sources[i % sources.length]!.entries())
          writeAttribution({ repo: 'r', sha, provider: 'claude-code', session: `s${k}`, model: '', lines, nontrivial, source });
        writeOutcome({ repo: 'r', sha, at, nontrivial, ai: sources[i % sources.length]!.length === 0 ? 0 : lines });
      });
      written = writeCalls() - before;
    });
    // Inside the batch's transaction the pages stay in the cache: a write is a spilled journal (an
    // UPDATE of a batch's rows at once: ~700), or one of the few a test worker's other threads
    // make meanwhile on a busy machine (0 or 1 measured).
    expect(written, `write calls`).toBeLessThan(20);
    const rows = () =>
      db
        .prepare(
          `SELECT o.*, (SELECT json_group_array(share_of_commit) FROM event_commit_attributions a WHERE a.repo_id = o.repo_id AND a.sha = o.sha) AS shares
           FROM event_commit_outcomes o ORDER BY sha`,
        )
        .all();
    const byRow = rows();
    const count = (where: string) => db.prepare(`SELECT count(*) AS n FROM event_commit_outcomes WHERE ${where}`).get<{ n: number }>()!.n;
    // Every kind of row is there: heavy and not, each source, untracked, no share.
    expect([
      count('heavy_ai = 1') > 500,
      count('heavy_ai = 0') > 500,
      count(`attribution_source = 'transcript'`) > 0,
      count(`attribution_source = 'note'`) > 0,
      count(`attribution_source = 'trailer'`) > 0,
      count(`attribution_coverage = 'untracked'`) > 0,
      count('ai_share IS NULL') > 0,
      count('ai_share > 1') > 0,
    ]).toEqual(Array(8).fill(true));
    // The whole update (as when the thresholds change) gives the same rows.
    db.exec(
      `UPDATE event_commit_outcomes SET ai_share = NULL, heavy_ai = 0, attribution_coverage = 'untracked', attribution_source = NULL`,
    );
    db.exec(`UPDATE event_commit_attributions SET share_of_commit = NULL`);
    db.transaction(() => writeOutcomeShares(db, 'r', config));
    expect(rows()).toEqual(byRow);
  });
});

describe('a sub-agent’s lines are credited to the session a person had', () => {
  // [session, kind, parent, the session its lines are credited to]
  const shapes: [string, 'main' | 'subagent' | 'fork', string | null, string][] = [
    ['m1', 'main', null, 'm1'],
    ['a1', 'subagent', 'm1', 'm1'],
    ['a2', 'subagent', 'a1', 'm1'], // nested: up two levels
    ['a3', 'subagent', 'quiet', 'quiet'], // its parent wrote nothing here
    ['quiet', 'main', null, 'quiet'],
    ['lost', 'subagent', 'gone', 'lost'], // its parent is not stored: its own
    ['under-lost', 'subagent', 'lost', 'under-lost'], // above it, no root either
    ['c1', 'subagent', 'c2', 'c1'], // a cycle: no root
    ['c2', 'subagent', 'c1', 'c2'],
    ['orphan', 'subagent', null, 'orphan'], // no parent: the root itself
    ['f1', 'fork', 'm1', 'f1'], // a fork is a session of its own
    ['a4', 'subagent', 'f1', 'f1'],
  ];
  /** How attribution found roots before (every session walked down from one): the oracle. */
  const ORACLE = `WITH RECURSIVE roots(session_id, root_id) AS (
      SELECT session_id, session_id FROM metadata_sessions WHERE session_kind <> 'subagent' OR parent_session_id IS NULL
      UNION ALL
      SELECT s.session_id, r.root_id FROM metadata_sessions s JOIN roots r ON s.parent_session_id = r.session_id WHERE s.session_kind = 'subagent'
    )
    SELECT e.session_id, coalesce(r.root_id, e.session_id) AS root FROM fact_session_file_edits e LEFT JOIN roots r ON r.session_id = e.session_id`;
  const db = tempDatabase();
  const session = db.prepare(
    `INSERT INTO metadata_sessions (session_id, provider, native_id, parent_session_id, repo_id, session_kind, source_path)
     VALUES (?, 'claude-code', ?, ?, 'r', ?, '/transcripts/x.jsonl')`,
  );
  const edit = db.prepare(
    `INSERT INTO fact_session_file_edits (session_id, edit_id, tool_name, abs_path, repo_id, path, status, timestamp, added_text, source_path)
     VALUES (?, ?, 'Write', '/repo/p.ts', 'r', 'p.ts', 'applied', '2026-01-01T00:00:00Z', ?, '/transcripts/x.jsonl')`,
  );
  const line = (id: string) => `export const value_${id.replace(/-/g, '_')} = compute(${id.length});`;
  for (const [id, kind, parent] of shapes) {
    session.run([id, id, parent, kind]);
    if (id !== 'quiet') edit.run([id, `e-${id}`, `${line(id)}\n`]);
  }
  const oracle = new Map(
    db
      .prepare(ORACLE)
      .all<{ session_id: string; root: string }>()
      .map((r) => [r.session_id, r.root]),
  );
  it.each([
    { asked: 'the paths of the commits read', paths: ['p.ts'] },
    { asked: 'every path (a whole build)', paths: null },
    { asked: 'many paths (the table read through)', paths: ['p.ts', ...Array.from({ length: 120 }, (_, i) => `other-${i}.ts`)] },
  ])('$asked: each writer’s root, as walking every session down from its root found it', ({ paths }) => {
    const written = loadWrittenLines(db, 'r', paths);
    written.sort();
    for (const [id, , , root] of shapes.filter(([id]) => id !== 'quiet')) {
      const took = written.take(['p.ts'], line(id), Date.parse('2026-01-02T00:00:00Z'));
      expect(took?.write.sessionId, id).toBe(root);
      expect(took?.write.sessionId, `${id} (oracle)`).toBe(oracle.get(id));
    }
  });
});

// loadWrittenLines reads the edits through the table (in its key order) when they are a quarter of
// it or more, and looks them up by path otherwise: the same lines either way, each path's writes of
// a text in the same order (ties in time too).
describe('the written lines, read through the table or looked up by path', () => {
  const paths = Array.from({ length: 150 }, (_, i) => `src/file-${i}.ts`);
  const text = (i: number) => `export const shared_${i % 7} = compute(${i % 7});\nexport const own_${i} = compute(${i});\n`;
  /** Repository r's edits to 150 paths, and `others` edits of another repository. */
  const edits = (others: number) => {
    const db = tempDatabase();
    const session = db.prepare(
      `INSERT INTO metadata_sessions (session_id, provider, native_id, repo_id, source_path) VALUES (?, 'claude-code', ?, ?, '/t/x.jsonl')`,
    );
    const edit = db.prepare(
      `INSERT INTO fact_session_file_edits (session_id, edit_id, tool_name, abs_path, repo_id, path, status, timestamp, added_text, source_path)
       VALUES (?, ?, 'Write', '/repo/x', ?, ?, ?, ?, ?, '/t/x.jsonl')`,
    );
    db.transaction(() => {
      for (const s of ['s-b', 's-a', 's-c']) session.run([s, s, 'r']);
      session.run(['s-other', 's-other', 'other']);
      paths.forEach((path, i) => {
        // Two sessions write the same text to each path at the same time (a tie), a third later.
        edit.run(['s-b', `b-${i}`, 'r', path, 'applied', '2026-01-01T00:00:00Z', text(i)]);
        edit.run(['s-a', `a-${i}`, 'r', path, 'applied', '2026-01-01T00:00:00Z', text(i)]);
        edit.run(['s-c', `c-${i}`, 'r', path, i % 3 === 0 ? 'rejected' : 'applied', '2026-01-01T00:01:00Z', text(i)]);
      });
      for (let i = 0; i < others; i++)
        edit.run(['s-other', `o-${i}`, 'other', `o-${i}.ts`, 'applied', '2026-01-01T00:00:00Z', 'export const other = value(1);\n']);
    });
    return db;
  };
  /** Each path's writes of its texts, as commits far later take them one by one. */
  const takes = (written: ReturnType<typeof loadWrittenLines>, of: readonly string[]) => {
    written.sort();
    return of.map((path, i) =>
      text(i)
        .trim()
        .split('\n')
        .map((line) => {
          const ids: string[] = [];
          for (
            let took = written.take([path], line, Date.parse('2026-02-01T00:00:00Z'));
            took;
            took = written.take([path], line, Date.parse('2026-02-01T00:00:00Z'))
          )
            ids.push(took.write.editId);
          return ids;
        }),
    );
  };
  const few = paths.slice(0, 99);

  it('the same writes in the same order, through the table or by path', () => {
    const db = edits(0);
    expect(readEditsThrough(db, 'r', few)).toBe(false); // few paths: looked up, nothing counted
    expect(readEditsThrough(db, 'r', paths)).toBe(true);
    expect(readEditsThrough(db, 'r', null)).toBe(true);
    const byPath = takes(loadWrittenLines(db, 'r', few), few);
    expect(takes(loadWrittenLines(db, 'r', paths), few)).toEqual(byPath);
    expect(takes(loadWrittenLines(db, 'r', null), few)).toEqual(byPath);
    // Read through, still only the paths asked for.
    expect(readEditsThrough(db, 'r', paths.slice(0, 120))).toBe(true);
    const some = loadWrittenLines(db, 'r', paths.slice(0, 120));
    expect([some.hasPath(paths[119]!), some.hasPath(paths[120]!)]).toEqual([true, false]);
    // Not an empty comparison: ties in the order the path index gives, the later write first, rejected edits left out.
    expect(byPath[0]).toEqual([
      ['b-0', 'a-0'],
      ['b-0', 'a-0'],
    ]);
    expect(byPath[1]).toEqual([
      ['c-1', 'b-1', 'a-1'],
      ['c-1', 'b-1', 'a-1'],
    ]);
  });

  it("looks them up by path when another repository's edits are most of the table", () => {
    const db = edits(2000);
    expect(readEditsThrough(db, 'r', paths)).toBe(false);
    expect(readEditsThrough(db, 'other', null)).toBe(true);
    // Read through, still only the repository's own.
    const other = loadWrittenLines(db, 'other', null);
    expect([other.hasPath('o-0.ts'), other.hasPath(paths[0]!)]).toEqual([true, false]);
    expect(takes(loadWrittenLines(db, 'r', paths), few)).toEqual(takes(loadWrittenLines(db, 'r', few), few));
  });
});

// A first run queues every commit: what a replay from the first write, the notes or aider's records
// would add to the commits to read is queued already. Asked of the same queue, with a replay time
// and without one, the commits are the same and so are the rows read (a replay's query read every
// commit touching a written path).
describe('the commits an attribution reads', () => {
  it('when every commit is queued, are the queue, read without asking what a replay would add', async () => {
    const s = scenario();
    s.t.write('toolu_a', file(s.repo, 'a.ts'), 'export const alpha = computeAlpha();\n');
    for (let i = 0; i < 5; i++)
      s.repo.write('a.ts', `export const alpha = computeAlpha();\nexport const v${i} = ${i};\n`).commit(`a ${i}`, { at: AFTER_EDITS + i });
    s.repo.write('b.ts', 'export const beta = 1;\n').commit('b', { at: AFTER_EDITS + 10 });
    await s.run();
    const d = openDatabase(s.db);
    try {
      const repoId = d.prepare(`SELECT repo_id FROM metadata_repositories`).get<{ repo_id: string }>()!.repo_id;
      const options = { db: d, repoId, cwd: s.repo.dir, config: defaultConfig() };
      const notes = { shas: () => [] };
      const asked = (from: number | 'whole' | null) => {
        const before = rowsRead.count;
        const { commits, toRead } = commitsToRead(d, repoId, options, notes, from);
        return { commits, toRead: [...toRead.shas], read: rowsRead.count - before };
      };
      // Every commit queued again, as a first run has them.
      d.prepare(
        `INSERT OR IGNORE INTO paceflow_unattributed (repo_id, sha) SELECT repo_id, sha FROM metadata_commits WHERE is_merge = 0`,
      ).run();
      const [replay, whole, none] = [asked(1), asked('whole'), asked(null)];
      expect(none.toRead).toHaveLength(7);
      expect(none.commits).toBe(7);
      expect(replay).toEqual(none);
      expect(whole).toEqual(none);
      // One commit not queued: the replay adds the commits touching a written path since then (all five).
      d.prepare(`DELETE FROM paceflow_unattributed WHERE sha = ?`).run([s.repo.git('rev-parse', 'HEAD~1')]);
      expect(asked(1).toRead).toHaveLength(6 + 1);
      expect(asked(null).toRead).toHaveLength(6);
      // A kept count gone wrong (one short, as if the queue held every commit): the rows are
      // counted, and the replay still adds the one off the queue.
      d.prepare(`UPDATE paceflow_row_counts SET row_count = 6 WHERE counted = 'metadata_commits:attributable'`).run();
      expect(asked(1).toRead).toHaveLength(6 + 1);
    } finally {
      d.close();
    }
  });
});
