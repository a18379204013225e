import { appendFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, describe, expect } from 'vitest';
import { ingest } from '../src/cli/commands/ingest.js';
import { openDatabase } from '../src/db/open.js';
import { eventRows } from './helpers/event-rows.js';
import { cleanupTempDirs, TempRepo, tempDir } from './helpers/git-repo.js';
import { emptySessionHome, FIXTURES, itShared } from './helpers/sessions.js';

afterAll(cleanupTempDirs);

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

/**
 * The real Claude Code and Codex transcripts, their working directory moved into `repo` (so their
 * sessions and edits belong to a repository), split at their middle line: what a session that goes
 * on leaves on disk between two runs.
 */
function transcriptsInRepository(repo: string, claudeProjects: string, codexHome: string) {
  const sources = [
    // Each fixture's files as Claude Code lays them out in a project (a sub-agent's beside its main
    // session's: <session>/subagents/agent-*.jsonl).
    ...files(join(FIXTURES, 'claude-code'))
      .filter((f) => f.endsWith('.jsonl'))
      .map((f) => ({ f, to: join(claudeProjects, '-repo', f.includes('/subagents/') ? f.split('/').slice(-3).join('/') : basename(f)) })),
    ...files(join(FIXTURES, 'codex', 'v0.125.0_codemie'))
      .filter((f) => f.endsWith('.jsonl'))
      .map((f) => ({ f, to: join(codexHome, 'sessions', '2026', '05', '11', basename(f)) })),
  ];
  return sources.map(({ f, to }) => {
    let text = readFileSync(f, 'utf8');
    // Every working directory the transcript names, wherever it appears (cwd, edited file paths).
    const cwds = new Set([...text.matchAll(/"cwd":"([^"]+)"/g)].map((m) => m[1]!));
    for (const cwd of [...cwds].sort((a, b) => b.length - a.length)) text = text.replaceAll(cwd, repo);
    const lines = text.split('\n').filter((l) => l.length > 0);
    const half = Math.floor(lines.length / 2);
    return { to, first: `${lines.slice(0, half).join('\n')}\n`, rest: `${lines.slice(half).join('\n')}\n` };
  });
}

const facts = (path: string) => {
  const db = openDatabase(path);
  try {
    return {
      records: db
        .prepare(`SELECT session_id, record_id, kind, timestamp, is_error, tokens_in, tokens_out FROM fact_session_records ORDER BY 1, 2`)
        .all(),
      edits: db
        .prepare(`SELECT session_id, edit_id, repo_id, path, status, added_text, removed_text FROM fact_session_file_edits ORDER BY 1, 2`)
        .all(),
      sessions: db.prepare(`SELECT session_id, repo_id, model, git_branch, started_at, ended_at FROM metadata_sessions ORDER BY 1`).all(),
    };
  } finally {
    db.close();
  }
};

describe('transcripts that grow between runs, in a repository (the session goes on)', () => {
  itShared('read in two runs give the rows of one read of the whole files (sql/023: the second run failed)', async () => {
    const repo = TempRepo.create();
    repo.write('README.md', '# project\n').commit('root', { at: 60 });
    const home = emptySessionHome();
    const parts = transcriptsInRepository(repo.dir, home.claudeProjects, home.codexHome);
    for (const p of parts) {
      mkdirSync(join(p.to, '..'), { recursive: true });
      writeFileSync(p.to, p.first);
    }
    const grown = join(tempDir('paceflow-db-'), 'grown.db');
    await ingest({ cwd: repo.dir, db: grown, env: home.env, notes: false });
    for (const p of parts) appendFileSync(p.to, p.rest);
    await ingest({ cwd: repo.dir, db: grown, env: home.env, notes: false });

    const whole = join(tempDir('paceflow-db-'), 'whole.db');
    await ingest({ cwd: repo.dir, db: whole, env: home.env, notes: false });
    const seen = facts(whole);
    // The split fell inside sessions that have edits, in a repository: the case that failed.
    expect(seen.edits.filter((e) => (e as { repo_id: string | null }).repo_id !== null).length).toBeGreaterThan(0);
    expect(seen.sessions.length).toBeGreaterThan(1);
    expect(seen.sessions.some((x) => (x as { session_id: string }).session_id.includes('/agent-'))).toBe(true);
    expect(facts(grown)).toEqual(seen);
    expect(eventRows(grown)).toEqual(eventRows(whole));
  });
});
