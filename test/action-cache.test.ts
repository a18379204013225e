import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type CacheClient, cacheKeys, restoreDatabase, saveDatabase } from '../src/action/cache.js';
import { ingest } from '../src/cli/commands/ingest.js';
import { latestSchemaVersion } from '../src/db/migrate.js';
import { openDatabase } from '../src/db/open.js';
import { AI_LINES_BEFORE_028, rowCountsBefore029 } from './helpers/db.js';
import { cleanupTempDirs, TempRepo, tempDir } from './helpers/git-repo.js';

afterAll(cleanupTempDirs);

/**
 * A stand-in for the GitHub cache service, on disk: entries by key; a restore takes the exact key,
 * else the newest entry whose key starts with the first restore key that matches any (as GitHub
 * documents it); a key is written once (a second save of it fails as the service refuses it).
 */
class DiskCache implements CacheClient {
  readonly dir = tempDir('paceflow-cache-');
  private clock = 0;
  available(): boolean {
    return true;
  }
  async restore(paths: string[], key: string, restoreKeys: string[]): Promise<string | undefined> {
    const entries = readdirSync(this.dir).map((name) => decodeURIComponent(name));
    const newest = (prefix: string) =>
      entries.filter((k) => k.startsWith(prefix)).sort((a, b) => statSync(this.path(b)).mtimeMs - statSync(this.path(a)).mtimeMs)[0];
    const found = entries.includes(key) ? key : restoreKeys.map(newest).find((k) => k !== undefined);
    if (!found) return undefined;
    for (const p of paths) copyFileSync(join(this.path(found), basename(p)), p);
    return found;
  }
  async save(paths: string[], key: string): Promise<void> {
    if (existsSync(this.path(key)))
      throw Object.assign(new Error(`Unable to reserve cache with key ${key}, another job may be creating this cache.`), {
        name: 'ReserveCacheError',
      });
    mkdirSync(this.path(key));
    for (const p of paths) copyFileSync(p, join(this.path(key), basename(p)));
    // Entries are ordered by when they were saved.
    const t = new Date(Date.now() + this.clock++ * 1000);
    const { utimesSync } = await import('node:fs');
    utimesSync(this.path(key), t, t);
  }
  path(key: string): string {
    return join(this.dir, encodeURIComponent(key));
  }
}

const lines = (tag: string) => `${Array.from({ length: 4 }, (_, i) => `export const ${tag}${i} = compute${tag}(${i});`).join('\n')}\n`;

async function build(repo: TempRepo, db: string) {
  return ingest({ cwd: repo.dir, db, sessions: false, notes: false });
}

describe('the Action’s database in the GitHub cache', () => {
  it('keys: this ref, then mainline, then any schema', () => {
    expect(cacheKeys({ schema: 7, ref: 'refs/pull/12/merge', sha: 'abc', mainline: 'main' })).toEqual({
      key: 'paceflow-db-v7-refs/pull/12/merge-abc',
      restoreKeys: ['paceflow-db-v7-refs/pull/12/merge-', 'paceflow-db-v7-refs/heads/main-', 'paceflow-db-'],
    });
    expect(cacheKeys({ schema: 7, ref: 'refs/heads/main', sha: 'def', mainline: null }).restoreKeys).toEqual([
      'paceflow-db-v7-refs/heads/main-',
      'paceflow-db-',
    ]);
  });

  it('a pull request starts from mainline’s newest database and records only what changed; saving twice is not an error', async () => {
    const repo = TempRepo.create();
    repo.write('README.md', '# x\n').commit('root');
    for (let i = 0; i < 5; i++) repo.write(`f${i}.ts`, lines(`f${i}`)).commit(`work ${i}`);
    const cache = new DiskCache();
    // A push to main: built from nothing, saved.
    const pushDb = join(tempDir('paceflow-runner-'), 'paceflow.db');
    const pushKeys = cacheKeys({ ref: 'refs/heads/main', sha: repo.git('rev-parse', 'HEAD'), mainline: null });
    expect(await restoreDatabase(cache, pushDb, pushKeys, openDatabase)).toEqual({ kind: 'none' });
    await build(repo, pushDb);
    const d = openDatabase(pushDb);
    expect(await saveDatabase(cache, d, pushDb, pushKeys.key)).toBe('saved');
    expect(await saveDatabase(cache, d, pushDb, pushKeys.key)).toBe('exists');
    d.close();
    // The saved entry is the whole database in one file: the write-ahead log was folded in.
    expect(statSync(join(cache.path(pushKeys.key), 'paceflow.db')).size).toBe(statSync(pushDb).size);

    // A pull request on another runner: one new commit on a branch.
    repo.git('checkout', '-q', '-b', 'feature');
    repo.write('new.ts', lines('fresh')).commit('feature work');
    const prDb = join(tempDir('paceflow-runner-'), 'paceflow.db');
    const prKeys = cacheKeys({ ref: 'refs/pull/3/merge', sha: repo.git('rev-parse', 'HEAD'), mainline: 'main' });
    expect(await restoreDatabase(cache, prDb, prKeys, openDatabase)).toEqual({ kind: 'restored', key: pushKeys.key });
    const summary = await build(repo, prDb);
    expect(summary.messages.find((m) => m.includes(': outcomes: '))).toMatch(/\(1 checked\)$/);
    expect(summary.messages.find((m) => m.includes('new commits'))).toMatch(/: 1 new commits,/);
  });

  it('a damaged database, one from a newer paceflow and one that is not a database are discarded; an older one is migrated', async () => {
    const repo = TempRepo.create();
    repo.write('README.md', '# x\n').commit('root');
    const cache = new DiskCache();
    const keys = cacheKeys({ ref: 'refs/heads/main', sha: 'x', mainline: null });
    const store = async (key: string, write: (path: string) => void) => {
      const src = join(tempDir('paceflow-src-'), 'paceflow.db');
      write(src);
      await cache.save([src], key);
    };
    // Newer schema.
    await store('paceflow-db-v999-refs/heads/main-1', (path) => {
      const d = openDatabase(path);
      d.exec(`PRAGMA user_version = 999`);
      d.close();
    });
    const newer = join(tempDir('paceflow-runner-'), 'paceflow.db');
    const r1 = await restoreDatabase(cache, newer, keys, openDatabase);
    expect(r1).toMatchObject({ kind: 'discarded', key: 'paceflow-db-v999-refs/heads/main-1' });
    expect((r1 as { reason: string }).reason).toMatch(/newer/);
    expect(existsSync(newer)).toBe(false);
    // Not a database at all.
    await store('paceflow-db-v999-refs/heads/main-2', (path) => writeFileSync(path, 'this is not SQLite'.repeat(400)));
    const garbage = join(tempDir('paceflow-runner-'), 'paceflow.db');
    expect(await restoreDatabase(cache, garbage, keys, openDatabase)).toMatchObject({ kind: 'discarded' });
    expect(existsSync(garbage)).toBe(false);
    // An older schema: opened, migrated to this one, used.
    await store('paceflow-db-v999-refs/heads/main-3', (path) => {
      const d = openDatabase(path);
      // What migrations 014 to 032 (the newest) made, undone: the database is of version 13,
      // and holds a patch-id of the old text, which 015 (and 027) drop, and a churn row counted from
      // the old diff, which 019 (and 027) drop with the verdicts and the outcome state (data only); its
      // commits table is clustered on the key again, with the views over it in place (021); the
      // task sessions' queue is gone (024); its commits have no line balance (026). (022 and 023
      // rewrite triggers that are there either way; 025 mends rows.) Its AI lines are a row per line (028);
      // its watermarks have no partial index (031); its file changes no blob (032).
      d.exec(`ALTER TABLE metadata_commits DROP COLUMN line_balance; ALTER TABLE metadata_commit_file_changes DROP COLUMN blob`);
      const table = d.prepare(`SELECT sql FROM sqlite_master WHERE name = 'metadata_commits'`).get<{ sql: string }>()!.sql;
      const attached = d
        .prepare(`SELECT sql FROM sqlite_master WHERE tbl_name = 'metadata_commits' AND type IN ('index', 'trigger') AND sql IS NOT NULL`)
        .all<{ sql: string }>();
      d.pragma('legacy_alter_table = ON');
      d.exec(`${table.replace('CREATE TABLE metadata_commits', 'CREATE TABLE clustered')} WITHOUT ROWID;
              INSERT INTO clustered SELECT * FROM metadata_commits; DROP TABLE metadata_commits;
              ALTER TABLE clustered RENAME TO metadata_commits;
              ${attached.map((a) => `${a.sql};`).join('\n')}`);
      d.pragma('legacy_alter_table = OFF');
      d.exec(`DROP TABLE paceflow_ref_objects; DROP TABLE paceflow_churn_dirty; DROP INDEX paceflow_net_diffs_by_head;
              DROP INDEX fact_commit_notes_by_ref; DROP INDEX metadata_commits_shallow_boundary;
              DROP INDEX event_commit_churn_open_windows; DROP INDEX fact_ingest_watermarks_partly_read;
              DROP TRIGGER fact_ingest_watermarks_insert_forgets_digest; DROP TRIGGER fact_ingest_watermarks_update_forgets_digest;
              DROP TRIGGER fact_ingest_watermarks_delete_forgets_digest;
              DROP TABLE paceflow_owed_task_sessions; DROP INDEX event_commit_attributions_by_session;
              ${d
                .prepare(`SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'paceflow\\_task\\_sessions\\_%' ESCAPE '\\'`)
                .all<{ name: string }>()
                .map((t) => `DROP TRIGGER ${t.name};`)
                .join(' ')}
              INSERT INTO fact_commit_patch_ids (repo_id, sha, forward_id) VALUES ('r', 'c', 'an id of the old diff text');
              INSERT INTO event_commit_churn (repo_id, sha, window_days, ai_lines_reaching_mainline, ai_lines_churned,
                nonai_lines_reaching_mainline, nonai_lines_churned, window_closed) VALUES ('r', 'c', 14, 0, 0, 3, 0, 1);
              INSERT INTO paceflow_meta (key, value) VALUES ('churn_inputs:r', 'a digest'), ('churn_stage:r', '{}');
              ${AI_LINES_BEFORE_028}
              ${rowCountsBefore029(d)}
              PRAGMA user_version = 13`);
      d.close();
    });
    const older = join(tempDir('paceflow-runner-'), 'paceflow.db');
    expect(await restoreDatabase(cache, older, keys, openDatabase)).toMatchObject({ kind: 'restored' });
    const d = openDatabase(older);
    expect(d.prepare('PRAGMA user_version').get()).toEqual({ user_version: latestSchemaVersion() });
    expect(d.prepare(`SELECT sql FROM sqlite_master WHERE name = 'metadata_commits'`).get<{ sql: string }>()!.sql).not.toMatch(
      /WITHOUT ROWID/,
    );
    // The views over the rebuilt table read it (a RENAME would have pointed them at the old one).
    expect(d.prepare(`SELECT count(*) AS n FROM view_repository_commits_by_provider`).get()).toEqual({ n: 0 });
    expect(d.prepare(`SELECT count(*) AS n FROM fact_commit_patch_ids WHERE repo_id = 'r'`).get()).toEqual({ n: 0 });
    expect(d.prepare(`SELECT count(*) AS n FROM event_commit_churn WHERE repo_id = 'r'`).get()).toEqual({ n: 0 });
    expect(d.prepare(`SELECT count(*) AS n FROM paceflow_meta WHERE key LIKE 'churn%:r'`).get()).toEqual({ n: 0 });
    d.close();
    await build(repo, older);
  });
});
