import { describe, expect, it } from 'vitest';
import type { Database } from '../src/db/driver.js';
import { tempDatabase } from './helpers/db.js';
import { prng } from './helpers/prng.js';

interface Q {
  session_id: string;
  provider: string;
  repo_id: string | null;
  root_session_id: string;
  is_subagent: number;
  duration_s: number;
  user_prompt_count: number;
  repeated_debug_loop: number;
  mid_session_error_paste: number;
  tool_errors: number;
  tokens_in: number;
  tokens_out: number;
}
interface C {
  session_id: string;
  edit_id: string;
  root_session_id: string;
  status: string;
  lines_added: number;
  nontrivial_lines_added: number;
}

function randomEvents(seed: number) {
  const rand = prng(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const quality: Q[] = [];
  const changes: C[] = [];
  for (let i = 0; i < 25; i++) {
    const main: Q = {
      session_id: `s${i}`,
      provider: pick(['claude-code', 'codex']),
      repo_id: pick(['r1', 'r2', null]),
      root_session_id: `s${i}`,
      is_subagent: 0,
      duration_s: Math.floor(rand() * 5000),
      user_prompt_count: Math.floor(rand() * 8),
      repeated_debug_loop: rand() < 0.3 ? 1 : 0,
      mid_session_error_paste: rand() < 0.3 ? 1 : 0,
      tool_errors: Math.floor(rand() * 4),
      tokens_in: Math.floor(rand() * 1000),
      tokens_out: Math.floor(rand() * 1000),
    };
    quality.push(main);
    const subs = rand() < 0.3 ? 1 + Math.floor(rand() * 2) : 0;
    for (let k = 0; k < subs; k++) {
      quality.push({ ...main, session_id: `s${i}/a${k}`, is_subagent: 1, user_prompt_count: 0, tool_errors: Math.floor(rand() * 3) });
    }
    for (const owner of quality.filter((q) => q.root_session_id === main.session_id)) {
      const n = Math.floor(rand() * 5);
      for (let e = 0; e < n; e++) {
        const lines = Math.floor(rand() * 30);
        changes.push({
          session_id: owner.session_id,
          edit_id: `e${e}`,
          root_session_id: main.session_id,
          status: pick(['applied', 'applied', 'rejected', 'failed', 'pending']),
          lines_added: lines,
          nontrivial_lines_added: Math.floor(lines * rand()),
        });
      }
    }
  }
  return { quality, changes };
}

function load(db: Database, quality: Q[], changes: C[]): void {
  db.transaction(() => {
    const q = db.prepare(`
      INSERT INTO event_session_quality (session_id, provider, repo_id, root_session_id, is_subagent, duration_s,
        user_prompt_count, repeated_debug_loop, mid_session_error_paste, tool_errors, lines_written, tokens_in, tokens_out)
      VALUES (@session_id, @provider, @repo_id, @root_session_id, @is_subagent, @duration_s, @user_prompt_count,
        @repeated_debug_loop, @mid_session_error_paste, @tool_errors, 0, @tokens_in, @tokens_out)`);
    for (const row of quality) q.run(row as never);
    const c = db.prepare(`
      INSERT INTO event_session_code_changes (session_id, edit_id, provider, root_session_id, tool_name, lines_added,
        lines_removed, nontrivial_lines_added, status)
      VALUES (@session_id, @edit_id, 'p', @root_session_id, 'Edit', @lines_added, 0, @nontrivial_lines_added, @status)`);
    for (const row of changes) c.run(row as never);
  });
}

const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const r = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

describe('session views against an independent computation', () => {
  it.each([1, 2, 3, 4, 5])('random events, seed %i', (seed) => {
    const { quality, changes } = randomEvents(seed);
    const db = tempDatabase();
    load(db, quality, changes);
    const mains = quality.filter((q) => q.is_subagent === 0);
    const scope = (rows: Q[]) => ({
      sessions: rows.length,
      avg_user_prompts: r(avg(rows.map((q) => q.user_prompt_count)), 2),
      repeated_debug_loop_rate: r(avg(rows.map((q) => q.repeated_debug_loop)), 4),
      error_paste_rate: r(avg(rows.map((q) => q.mid_session_error_paste)), 4),
      tool_errors_per_session: r(avg(rows.map((q) => q.tool_errors)), 2),
      avg_duration_s: r(avg(rows.map((q) => q.duration_s)), 0),
    });
    const all = db.prepare(`SELECT * FROM view_global_session_quality WHERE scope = 'all'`).get();
    expect(all).toEqual({ scope: 'all', provider: null, repository: null, ...scope(mains) });
    for (const provider of ['claude-code', 'codex']) {
      const rows = mains.filter((q) => q.provider === provider);
      if (rows.length === 0) continue;
      expect(db.prepare(`SELECT * FROM view_global_session_quality WHERE scope = 'provider' AND provider = ?`).get([provider])).toEqual({
        scope: 'provider',
        provider,
        repository: null,
        ...scope(rows),
      });
    }
    for (const main of mains) {
      const family = quality.filter((q) => q.root_session_id === main.session_id);
      const mine = changes.filter((c) => c.root_session_id === main.session_id);
      const status = (s: string) => mine.filter((c) => c.status === s).length;
      const applied = mine.filter((c) => c.status === 'applied');
      expect(db.prepare(`SELECT * FROM view_session_productivity WHERE session_id = ?`).get([main.session_id])).toMatchObject({
        user_prompts: main.user_prompt_count,
        subagents: family.length - 1,
        edits_applied: status('applied'),
        edits_rejected: status('rejected'),
        edits_failed: status('failed'),
        edits_unconfirmed: status('pending'),
        lines_written: applied.reduce((n, c) => n + c.lines_added, 0),
        nontrivial_lines_written: applied.reduce((n, c) => n + c.nontrivial_lines_added, 0),
        tool_errors: family.reduce((n, q) => n + q.tool_errors, 0),
        tokens_in: family.reduce((n, q) => n + q.tokens_in, 0),
      });
    }
    expect(db.prepare(`SELECT count(*) AS n FROM view_session_productivity`).get()).toEqual({ n: mains.length });
  });
});
