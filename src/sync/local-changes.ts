import { createHash, createHmac, randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import type { Database, SqlValue } from '../db/driver.js';
import { normalizeRemoteUrl } from '../git/repository.js';
import { CONTRACT, type ContractTable } from './contract.js';

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
 * Lists the groups of `table` this sync looks at, in order, in temp.paceflow_sync_keys: every group
 * the table has plus every group the warehouse holds from us (`changed` null: a full comparison),
 * or the groups the change log names between two clock values. Returns how many.
 */
export function stageGroupKeys(
  db: Database,
  table: ContractTable,
  changed: { from: number; through: number } | null,
  targetId: string,
): number {
  const [g1, g2] = table.group;
  db.exec(`CREATE TEMP TABLE IF NOT EXISTS paceflow_sync_keys (ord INTEGER PRIMARY KEY, k1 TEXT NOT NULL, k2 TEXT NOT NULL)`);
  return db.transaction(() => {
    db.exec(`DELETE FROM temp.paceflow_sync_keys`);
    // Positional parameters: node:sqlite (the Action's driver) refuses a named one the SQL lacks.
    if (changed) {
      return db
        .prepare(
          `INSERT INTO temp.paceflow_sync_keys (k1, k2)
           SELECT DISTINCT k1, k2 FROM paceflow_sync_changes WHERE table_name = ? AND seq >= ? AND seq <= ? ORDER BY k1, k2`,
        )
        .run([table.name, changed.from, changed.through]).changes;
    }
    return db
      .prepare(
        `INSERT INTO temp.paceflow_sync_keys (k1, k2)
         SELECT DISTINCT k1, k2 FROM (
           SELECT ${g1} AS k1, ${g2 ?? "''"} AS k2 FROM ${table.name}
           UNION SELECT k1, k2 FROM paceflow_sync_groups WHERE target_id = ? AND table_name = ?
         ) ORDER BY k1, k2`,
      )
      .run([targetId, table.name]).changes;
  });
}

/**
 * The next groups listed by stageGroupKeys, from position `from`, with their rows, until about
 * `maxRows` rows (a group is never split). A group that is gone has no lines (a tombstone).
 * `next` is where the following batch starts, or null after the last.
 */
export function readGroupBatch(
  db: Database,
  table: ContractTable,
  from: number,
  maxRows: number,
  copyLine: (values: readonly unknown[]) => string,
  options: ReadOptions,
): { groups: Group[]; next: number | null } {
  const [g1, g2] = table.group;
  const rest = table.key.filter((k) => !(table.group as readonly string[]).includes(k));
  const statement = db.prepare(`
    SELECT k.ord AS paceflow_ord, k.k1 AS paceflow_k1, k.k2 AS paceflow_k2, t.${g1} AS paceflow_present, ${selectList(table)}
    FROM temp.paceflow_sync_keys k
    LEFT JOIN ${table.name} t ON t.${g1} = k.k1 ${g2 ? `AND t.${g2} = k.k2` : ''}
    WHERE k.ord >= ?
    ORDER BY k.ord${rest.map((c) => `, t.${c}`).join('')}`);
  const identities = table.columns.filter((c) => c.identity).map((c) => c.name);
  const groups: Group[] = [];
  let current: (Group & { ord: number }) | null = null;
  let hash = createHash('sha256');
  let rows = 0;
  let next: number | null = null;
  const close = () => {
    if (current) groups.push({ k1: current.k1, k2: current.k2, lines: current.lines, hash: hash.digest('hex').slice(0, 32) });
  };
  for (const row of statement.iterate<Record<string, unknown>>([from])) {
    const ord = row.paceflow_ord as number;
    if (!current || current.ord !== ord) {
      if (current && rows >= maxRows) {
        next = ord;
        break;
      }
      close();
      current = { ord, k1: String(row.paceflow_k1), k2: String(row.paceflow_k2), lines: [], hash: '' };
      hash = createHash('sha256');
    }
    if (row.paceflow_present === null) continue;
    hashIdentities(row, identities, options.identitySalt);
    const line = copyLine(table.columns.map((c) => row[c.name]));
    current.lines.push(line);
    hash.update(line);
    rows++;
  }
  close();
  return { groups, next };
}

/** The hashes the warehouse holds from this machine for one table: `${k1}\0${k2}` → hash. */
export function sentHashes(db: Database, targetId: string, table: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of db
    .prepare(`SELECT k1, k2, hash FROM paceflow_sync_groups WHERE target_id = ? AND table_name = ?`)
    .iterate<{ k1: string; k2: string; hash: string }>([targetId, table])) {
    out.set(`${r.k1}\0${r.k2}`, r.hash);
  }
  return out;
}

/** Records what the warehouse now holds for these groups (an empty group: nothing). */
export function recordSent(db: Database, targetId: string, table: string, groups: readonly Group[]): void {
  const put = db.prepare(
    `INSERT INTO paceflow_sync_groups (target_id, table_name, k1, k2, hash) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (target_id, table_name, k1, k2) DO UPDATE SET hash = excluded.hash`,
  );
  const drop = db.prepare(`DELETE FROM paceflow_sync_groups WHERE target_id = ? AND table_name = ? AND k1 = ? AND k2 = ?`);
  db.transaction(() => {
    for (const g of groups) {
      if (g.lines.length === 0) drop.run([targetId, table, g.k1, g.k2]);
      else put.run([targetId, table, g.k1, g.k2, g.hash] satisfies SqlValue[]);
    }
  });
}
