import { describe, expect, it } from 'vitest';
import { CONTRACT, TEXT_COLUMNS } from '../src/sync/contract.js';
import { tempDatabase } from './helpers/db.js';

/**
 * DESIGN §9: nothing with prompt or response text, code, file contents or home-directory paths is
 * in the sync contract. Every text column sent is on the allow-list with its reason; a new one fails
 * here until someone decides, in review, that it is safe.
 */
const NEVER = ['text', 'message', 'title', 'cwd', 'abs_path', 'source_path', 'added_text', 'removed_text', 'note_text', 'native_id'];

describe('the sync contract', () => {
  it('every text column it sends is on the allow-list, with its reason', () => {
    const unlisted = CONTRACT.flatMap((t) =>
      t.columns.filter((c) => c.type === 'text' && !(c.name in TEXT_COLUMNS)).map((c) => `${t.name}.${c.name}`),
    );
    expect(unlisted).toEqual([]);
    for (const reason of Object.values(TEXT_COLUMNS)) expect(reason.length).toBeGreaterThan(5);
  });

  it('sends no column that holds prompts, code, file contents or local paths', () => {
    const sent = CONTRACT.flatMap((t) => t.columns.map((c) => c.name));
    expect(sent.filter((c) => NEVER.includes(c))).toEqual([]);
    // Columns that would hold a path on this machine go out transformed, never as they are.
    const repositories = CONTRACT.find((t) => t.name === 'metadata_repositories')!;
    expect(repositories.columns.find((c) => c.name === 'root_path')?.read).toMatch(/paceflow_folder_name/);
    expect(repositories.columns.find((c) => c.name === 'remote_url')?.read).toMatch(/paceflow_network_remote/);
  });

  it('reads columns that exist, keys by the grain, and groups by a prefix of it', () => {
    const db = tempDatabase();
    try {
      for (const table of CONTRACT) {
        const local = db.prepare(`SELECT name, pk FROM pragma_table_info(?)`).all<{ name: string; pk: number }>([table.name]);
        const names = new Set(local.map((c) => c.name));
        for (const c of table.columns.filter((c) => !c.read)) expect(names.has(c.name), `${table.name}.${c.name}`).toBe(true);
        const grain = local.filter((c) => c.pk > 0).map((c) => c.name);
        expect([...table.key].sort(), table.name).toEqual([...grain].sort());
        expect(table.key.slice(0, table.group.length), table.name).toEqual([...table.group]);
        for (const k of table.key) expect(table.columns.some((c) => c.name === k)).toBe(true);
      }
      // Every event table is in the contract (the unit of sync), none twice.
      const events = db
        .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'event\\_%' ESCAPE '\\' ORDER BY name`)
        .all<{ name: string }>()
        .map((r) => r.name);
      expect(events.filter((e) => !CONTRACT.some((t) => t.name === e))).toEqual([]);
      expect(new Set(CONTRACT.map((t) => t.name)).size).toBe(CONTRACT.length);
    } finally {
      db.close();
    }
  });
});
