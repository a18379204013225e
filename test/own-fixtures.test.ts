import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/driver.js';
import { ALL_PROVIDERS } from '../src/providers/index.js';
import { PROVIDERS } from '../src/providers/types.js';
import { tempDatabase } from './helpers/db.js';
import { cleanupTempDirs } from './helpers/git-repo.js';
import { ingestHome, ownFixtureHome, RECORD_SHAPE, watchRecordShapes } from './helpers/sessions.js';

afterAll(cleanupTempDirs);
const shapes = watchRecordShapes();

/**
 * Every parser on the project's own small transcripts (test/fixtures/sessions: paceflow's text,
 * shaped like each assistant's real files), so a clone without ../shared still covers each format.
 * Each expectation below is read off the fixture file by hand.
 */
describe('the project’s own transcripts, one per format', () => {
  let db: Database;
  beforeAll(async () => {
    db = tempDatabase();
    const result = await ingestHome(
      db,
      ownFixtureHome(),
      PROVIDERS.map((name) => ALL_PROVIDERS[name]),
    );
    // Nothing skipped: every line of every file is a record paceflow understands.
    for (const stat of result.stats) {
      expect(stat.skippedFiles, stat.provider).toEqual([]);
      expect(stat.skippedLines, stat.provider).toEqual({});
    }
  });

  const sessions = (provider: string) =>
    db
      .prepare(`SELECT native_id, model, cwd FROM metadata_sessions WHERE provider = ? ORDER BY native_id`)
      .all<{ native_id: string; model: string | null; cwd: string | null }>([provider]);
  const prompts = (provider: string) =>
    db
      .prepare(
        `SELECT r.text FROM fact_session_records r JOIN metadata_sessions s USING (session_id)
         WHERE s.provider = ? AND r.kind = 'prompt' ORDER BY r.timestamp, r.record_id`,
      )
      .all<{ text: string }>([provider])
      .map((r) => r.text);
  const edits = (provider: string) =>
    db
      .prepare(
        `SELECT e.abs_path AS path, e.status, c.lines_added AS added, c.lines_removed AS removed
         FROM fact_session_file_edits e JOIN event_session_code_changes c USING (session_id, edit_id)
         JOIN metadata_sessions s ON s.session_id = e.session_id
         WHERE s.provider = ? ORDER BY e.timestamp, e.edit_id`,
      )
      .all<{ path: string; status: string; added: number; removed: number }>([provider]);
  const quality = (provider: string) =>
    db
      .prepare(
        `SELECT user_prompt_count AS prompts, tool_errors AS errors FROM event_session_quality q WHERE q.provider = ? ORDER BY session_id`,
      )
      .all<{ prompts: number; errors: number }>([provider]);

  it('Claude Code: two prompts, a Write and an Edit applied, a failed test run, the title from the summary', () => {
    expect(sessions('claude-code')).toEqual([
      { native_id: '5d1c0a7e-3f41-4b8e-9c2a-6e0f1b2c3d4e', model: 'claude-sonnet-4-5-20250929', cwd: '/home/dev/shop' },
    ]);
    expect(prompts('claude-code')).toEqual(['Add a cart_total helper to cart.py', 'Now support a discount']);
    expect(edits('claude-code')).toEqual([
      { path: '/home/dev/shop/cart.py', status: 'applied', added: 3, removed: 0 },
      { path: '/home/dev/shop/cart.py', status: 'applied', added: 2, removed: 2 },
    ]);
    expect(quality('claude-code')).toEqual([{ prompts: 2, errors: 1 }]);
    expect(db.prepare(`SELECT title FROM metadata_sessions WHERE provider = 'claude-code'`).get()).toEqual({
      title: 'Cart total with discount',
    });
  });

  it('Codex CLI: the model from turn_context, two prompts, apply_patch confirmed by patch_apply_end', () => {
    expect(sessions('codex')).toEqual([{ native_id: '0195f3a0-1111-7222-8333-944455566677', model: 'gpt-5-codex', cwd: '/home/dev/shop' }]);
    expect(prompts('codex')).toEqual(['Add a shipping_cost function in shipping.py', 'Thanks, that is all']);
    expect(edits('codex')).toEqual([{ path: '/home/dev/shop/shipping.py', status: 'applied', added: 3, removed: 0 }]);
    expect(quality('codex')).toEqual([{ prompts: 2, errors: 0 }]);
  });

  it('Gemini CLI: JSONL and legacy JSON; a successful write_file applied, a cancelled replace rejected; the folder from .project_root', () => {
    expect(sessions('gemini-cli')).toEqual([
      { native_id: 'gem-shop-0001', model: 'gemini-2.5-pro', cwd: '/home/dev/shop' },
      { native_id: 'gem-shop-legacy', model: 'gemini-2.5-flash', cwd: '/home/dev/shop' },
    ]);
    expect(prompts('gemini-cli')).toEqual(['Write a README for the shop', 'List the files', 'Good']);
    expect(edits('gemini-cli')).toEqual([
      { path: '/home/dev/shop/README.md', status: 'applied', added: 3, removed: 0 },
      { path: '/home/dev/shop/cart.py', status: 'rejected', added: 1, removed: 1 },
    ]);
  });

  it('Copilot Chat: the v3 document, the replayed mutation log (a cancelled request is rejected), the event stream', () => {
    expect(sessions('copilot')).toEqual([
      { native_id: 'cop-ev-0003', model: 'claude-sonnet-4.5', cwd: '/home/dev/shop' },
      { native_id: 'cop-log-0002', model: 'gpt-4.1', cwd: '/home/dev/shop' },
      { native_id: 'cop-v3-0001', model: 'gpt-4.1', cwd: '/home/dev/shop' },
    ]);
    expect(prompts('copilot')).toEqual([
      'Add a sales_tax function to tax.py',
      'Rename the rate constant',
      'Explain tax.py',
      'Note the currency in shipping.py',
    ]);
    expect(edits('copilot')).toEqual([
      { path: '/home/dev/shop/tax.py', status: 'applied', added: 2, removed: 0 },
      { path: '/home/dev/shop/tax.py', status: 'rejected', added: 1, removed: 0 },
      { path: '/home/dev/shop/shipping.py', status: 'applied', added: 1, removed: 0 },
    ]);
  });

  it('Cursor agent transcript: prompts without their <user_query> wrapper, Write and StrReplace applied, the folder from the slug', () => {
    expect(sessions('cursor')).toEqual([{ native_id: 'cur-0001', model: null, cwd: '/home/dev/shop' }]);
    expect(prompts('cursor')).toEqual(['Add an inventory module', 'Thanks']);
    expect(edits('cursor')).toEqual([
      { path: '/home/dev/shop/inventory.py', status: 'applied', added: 4, removed: 0 },
      { path: '/home/dev/shop/inventory.py', status: 'applied', added: 1, removed: 1 },
    ]);
  });

  it('Amp: the folder and branch from env.initial.trees, the edit_file applied from its diff, a failed Bash', () => {
    expect(sessions('amp')).toEqual([
      { native_id: 'T-0a0b0c0d-1111-4222-8333-444455556666', model: 'claude-opus-4-1', cwd: '/home/dev/shop' },
    ]);
    expect(db.prepare(`SELECT git_branch FROM metadata_sessions WHERE provider = 'amp'`).get()).toEqual({ git_branch: 'main' });
    expect(prompts('amp')).toEqual(['Cap the discount at 50 percent']);
    expect(edits('amp')).toEqual([{ path: '/home/dev/shop/cart.py', status: 'applied', added: 1, removed: 0 }]);
    expect(quality('amp')).toEqual([{ prompts: 1, errors: 1 }]);
  });

  it('Aider: a session per header, inputs from #### lines (not /commands), an applied edit and its commit, a failed edit', () => {
    expect(sessions('aider').map((s) => s.model)).toEqual(['gpt-4.1', 'gpt-4.1']);
    expect(prompts('aider')).toEqual(['make the shipping base rate 5', 'rename restock to add_stock']);
    expect(
      edits('aider').map((e) => [
        e.path.endsWith('/shop/shipping.py') || e.path.endsWith('/shop/inventory.py'),
        e.status,
        e.added,
        e.removed,
      ]),
    ).toEqual([
      [true, 'applied', 1, 1],
      [true, 'failed', 1, 1],
    ]);
    expect(db.prepare(`SELECT tool_call_id FROM fact_session_records WHERE tool_name = 'aider:commit'`).all()).toEqual([
      { tool_call_id: '1a2b3c4' },
    ]);
  });

  it('every provider’s records reach the writer in one shape', () => {
    expect([...shapes]).toEqual([RECORD_SHAPE]);
  });
});
