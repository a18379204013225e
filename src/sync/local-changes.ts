import { createHash, createHmac, randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import type { Database, SqlValue } from '../db/driver.js';
import { normalizeRemoteUrl } from '../git/repository.js';
import { CONTRACT, type ContractTable } from './contract.js';
import { copyValue } from './postgres.js';

/**
 * The SQLite side of a sync: this machine's id, the change log the triggers keep, and the rows of
 * the groups that changed, read with the contract's safe transforms and hashed the way the
 * warehouse last took them (sql/008_sync_tracking.sql says how the pieces fit).
 */

/** A random id made once per database: names this machine in the warehouse (no host or user name). */
export function machineId(db: Database): string {
  const stored = db.prepare(`SELECT value FROM paceflow_meta WHERE key = 'machine_id'`).get<{ value: string }>();
  if (stored) return stored.value;
  const id = randomUUID();
  db.transaction(() => db.prepare(`INSERT OR IGNORE INTO paceflow_meta (key, value) VALUES ('machine_id', ?)`).run([id]));
  return db.prepare(`SELECT value FROM paceflow_meta WHERE key = 'machine_id'`).get<{ value: string }>()!.value;
}

/**
 * The triggers that log every write to a contract table, created once (IF NOT EXISTS). Returns
 * true when any was missing: writes made before now were not logged, so the caller compares every
 * group instead of trusting the log.
 */
export function ensureChangeTriggers(db: Database): boolean {
  const existing = new Set(
    db
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'paceflow\\_sync\\_%' ESCAPE '\\'`)
      .all<{ name: string }>()
      .map((r) => r.name),
  );
  let created = false;
  db.transaction(() => {
    db.prepare(`INSERT OR IGNORE INTO paceflow_meta (key, value) VALUES ('sync_clock', '1')`).run();
    for (const table of CONTRACT) {
      for (const [event, row] of [
        ['insert', 'NEW'],
        ['update', 'NEW'],
        ['delete', 'OLD'],
      ] as const) {
        const name = `paceflow_sync_${table.name}_${event}`;
        if (existing.has(name)) continue;
        created = true;
        const k = table.group.length === 2 ? `${row}.${table.group[0]}, ${row}.${table.group[1]}` : `${row}.${table.group[0]}, ''`;
        // DELETE then INSERT, not INSERT OR REPLACE: an outer INSERT OR IGNORE would turn the
        // trigger's REPLACE into IGNORE and keep the old stamp.
        db.exec(`CREATE TRIGGER IF NOT EXISTS ${name} AFTER ${event.toUpperCase()} ON ${table.name} BEGIN
  DELETE FROM paceflow_sync_changes WHERE table_name = '${table.name}' AND k1 = ${k.split(', ')[0]} AND k2 = ${k.split(', ')[1]};
  INSERT INTO paceflow_sync_changes (table_name, k1, k2, seq)
    VALUES ('${table.name}', ${k}, (SELECT CAST(value AS INTEGER) FROM paceflow_meta WHERE key = 'sync_clock'));
END`);
      }
    }
  });
  return created;
}

/** Advances the sync clock: writes from now on are stamped with the new value. Returns the old one. */
export function advanceClock(db: Database): number {
  return db.transaction(() => {
    const clock = Number(db.prepare(`SELECT value FROM paceflow_meta WHERE key = 'sync_clock'`).get<{ value: string }>()!.value);
    db.prepare(`UPDATE paceflow_meta SET value = ? WHERE key = 'sync_clock'`).run([String(clock + 1)]);
    return clock;
  });
}

export interface SyncTarget {
  targetId: string;
  label: string;
  /** Changes stamped below this are in the warehouse; null: compare every group. */
  syncedThrough: number | null;
}

export function loadTarget(db: Database, targetId: string, label: string): SyncTarget {
  db.transaction(() => db.prepare(`INSERT OR IGNORE INTO paceflow_sync_targets (target_id, label) VALUES (?, ?)`).run([targetId, label]));
  const row = db
    .prepare(`SELECT synced_through FROM paceflow_sync_targets WHERE target_id = ?`)
    .get<{ synced_through: number | null }>([targetId])!;
  return { targetId, label, syncedThrough: row.synced_through };
}

/** After a whole sync: changes up to `clock` are in; log entries no target still needs go. */
export function finishTarget(db: Database, target: SyncTarget, clock: number, now: Date): void {
  db.transaction(() => {
    db.prepare(`UPDATE paceflow_sync_targets SET synced_through = ?, last_sync_at = ? WHERE target_id = ?`).run([
      clock + 1,
      now.toISOString(),
      target.targetId,
    ]);
    const oldest = db.prepare(`SELECT min(coalesce(synced_through, 0)) AS s FROM paceflow_sync_targets`).get<{ s: number }>()!.s;
    db.prepare(`DELETE FROM paceflow_sync_changes WHERE seq < ?`).run([oldest]);
  });
}

/** One group's rows as sent: COPY lines (contract columns, in order) and the hash of them. */
export interface Group {
  k1: string;
  k2: string;
  lines: string[];
  hash: string;
}

export interface ReadOptions {
  /** The salt for --hash-identities: names and emails are sent as an HMAC of it, or null to send them. */
  identitySalt: string | null;
}

/** The SQLite functions the contract's transforms call. */
export function defineContractFunctions(db: Database): void {
  db.defineFunction('paceflow_folder_name', (path) => (typeof path === 'string' ? basename(path) : null));
  db.defineFunction('paceflow_network_remote', (url) => (typeof url === 'string' ? normalizeRemoteUrl(url) : null));
}

/** With a salt, the identity columns of a row (names, emails) become their keyed hashes, in place. */
export function hashIdentities(row: Record<string, unknown>, columns: readonly string[], salt: string | null): void {
  if (!salt) return;
  for (const name of columns) {
    const value = row[name];
    if (typeof value === 'string' && value !== '') row[name] = identityHash(value, salt);
  }
}

export function identityHash(value: string, salt: string): string {
  return `hmac-sha256:${createHmac('sha256', salt).update(value.trim().toLowerCase()).digest('hex').slice(0, 32)}`;
}

/** The contract's columns of a table as a SELECT list over `FROM <table> t`, transforms applied. */
export function selectList(table: ContractTable): string {
  return table.columns.map((c) => `${c.read ?? `t.${c.name}`} AS ${c.name}`).join(', ');
}

/**
 * The groups of `table` the change log names between two clock values, in
 * temp.paceflow_sync_keys (what readGroups and sentHashes read in an incremental sync).
 */
export function stageChangedKeys(db: Database, table: ContractTable, changed: { from: number; through: number }): number {
  db.exec(`CREATE TEMP TABLE IF NOT EXISTS paceflow_sync_keys (k1 TEXT NOT NULL, k2 TEXT NOT NULL, PRIMARY KEY (k1, k2)) WITHOUT ROWID`);
  return db.transaction(() => {
    db.exec(`DELETE FROM temp.paceflow_sync_keys`);
    return db
      .prepare(
        `INSERT OR IGNORE INTO temp.paceflow_sync_keys (k1, k2)
         SELECT k1, k2 FROM paceflow_sync_changes WHERE table_name = ? AND seq >= ? AND seq <= ?`,
      )
      .run([table.name, changed.from, changed.through]).changes;
  });
}

/**
 * Every group of `table` the warehouse may lack, with its rows as COPY lines, in one pass: all of
 * the table's groups then every group the warehouse holds from us that is gone here (`changed`
 * null: a full comparison), or the groups the change log names between two clock values. A group
 * that is gone has no lines (a tombstone). The statement stays open while the caller awaits, so the
 * caller writes nothing to this connection until the pass ends.
 */
export function* readGroups(
  db: Database,
  table: ContractTable,
  changed: { from: number; through: number } | null,
  sent: ReadonlyMap<string, string>,
  options: ReadOptions,
): Generator<Group> {
  const [g1, g2] = table.group;
  const rest = table.key.filter((k) => !(table.group as readonly string[]).includes(k));
  let rows: IterableIterator<unknown[]>;
  if (changed) {
    rows = db
      .prepare(`
        SELECT k.k1, k.k2, t.${g1} IS NOT NULL, ${selectList(table)}
        FROM temp.paceflow_sync_keys k
        LEFT JOIN ${table.name} t ON t.${g1} = k.k1 ${g2 ? `AND t.${g2} = k.k2` : ''}
        ORDER BY k.k1, k.k2${rest.map((c) => `, t.${c}`).join('')}`)
      .iterateArrays();
  } else {
    rows = db
      .prepare(
        `SELECT t.${g1}, ${g2 ? `t.${g2}` : "''"}, 1, ${selectList(table)} FROM ${table.name} t
         ORDER BY ${[...table.group, ...rest].map((c) => `t.${c}`).join(', ')}`,
      )
      .iterateArrays();
  }
  const identities = table.columns.flatMap((c, i) => (c.identity ? [i + 3] : []));
  const width = table.columns.length + 3;
  const seen = changed ? null : new Set<string>();
  let current: Group | null = null;
  // The group's hash is taken over its lines at once: one call per group, not per row. sha1 is
  // enough to notice a change (this is no secret), and twice as fast as sha256.
  const digest = (lines: readonly string[]) => createHash('sha1').update(lines.join('')).digest('hex').slice(0, 32);
  for (const row of rows) {
    const k1 = String(row[0]);
    const k2 = String(row[1]);
    if (!current || current.k1 !== k1 || current.k2 !== k2) {
      if (current) {
        current.hash = digest(current.lines);
        yield current;
      }
      current = { k1, k2, lines: [], hash: '' };
      seen?.add(`${k1}\0${k2}`);
    }
    if (!row[2]) continue; // a logged group that is gone
    if (options.identitySalt) {
      for (const i of identities)
        if (typeof row[i] === 'string' && row[i] !== '') row[i] = identityHash(row[i] as string, options.identitySalt);
    }
    let line = copyValue(row[3]);
    for (let i = 4; i < width; i++) line += `\t${copyValue(row[i])}`;
    line += '\n';
    current.lines.push(line);
  }
  if (current) {
    current.hash = digest(current.lines);
    yield current;
  }
  if (seen) {
    for (const key of sent.keys()) {
      if (seen.has(key)) continue;
      const [k1, k2] = key.split('\0') as [string, string];
      yield { k1, k2, lines: [], hash: '' };
    }
  }
}

/**
 * The hashes the warehouse holds from this machine for one table (`${k1}\0${k2}` → hash): all of
 * them, or only those of the staged changed groups (an incremental sync reads no more).
 */
export function sentHashes(db: Database, targetId: string, table: string, onlyStaged: boolean): Map<string, string> {
  const out = new Map<string, string>();
  const sql = onlyStaged
    ? `SELECT g.k1, g.k2, g.hash FROM temp.paceflow_sync_keys k
       JOIN paceflow_sync_groups g ON g.target_id = ? AND g.table_name = ? AND g.k1 = k.k1 AND g.k2 = k.k2`
    : `SELECT k1, k2, hash FROM paceflow_sync_groups WHERE target_id = ? AND table_name = ?`;
  for (const r of db.prepare(sql).iterateArrays([targetId, table])) out.set(`${r[0]}\0${r[1]}`, r[2] as string);
  return out;
}

/** Records what the warehouse now holds for these groups (an empty group: nothing). */
export function recordSent(db: Database, targetId: string, table: string, groups: readonly Group[]): void {
  // Thousands of groups per statement, as JSON: one statement per chunk, not per group.
  const put = db.prepare(
    `INSERT INTO paceflow_sync_groups (target_id, table_name, k1, k2, hash)
     SELECT ?, ?, json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]') FROM json_each(?) WHERE true
     ON CONFLICT (target_id, table_name, k1, k2) DO UPDATE SET hash = excluded.hash`,
  );
  const drop = db.prepare(
    `DELETE FROM paceflow_sync_groups WHERE target_id = ? AND table_name = ?
       AND (k1, k2) IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?))`,
  );
  db.transaction(() => {
    for (let i = 0; i < groups.length; i += 5000) {
      const chunk = groups.slice(i, i + 5000);
      const kept = chunk.filter((g) => g.lines.length > 0).map((g) => [g.k1, g.k2, g.hash]);
      const gone = chunk.filter((g) => g.lines.length === 0).map((g) => [g.k1, g.k2]);
      if (kept.length > 0) put.run([targetId, table, JSON.stringify(kept)] satisfies SqlValue[]);
      if (gone.length > 0) drop.run([targetId, table, JSON.stringify(gone)] satisfies SqlValue[]);
    }
  });
}
