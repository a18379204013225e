import type { Database } from '../db/driver.js';
import { crashPoint } from '../crash-point.js';
import { CONTRACT, type ContractTable } from './contract.js';
import {
  advanceClock,
  defineContractFunctions,
  ensureChangeTriggers,
  finishTarget,
  type Group,
  loadTarget,
  readGroupBatch,
  recordSent,
  sentHashes,
  stageGroupKeys,
} from './local-changes.js';
import { copyValue, describeWarehouseError, type Warehouse } from './postgres.js';
import { finishWarehouse, type MachineRepository } from './winners.js';

/**
 * Sends what changed in this machine's contract tables since its last sync to the warehouse:
 * group by group (a session, a commit), a batch of groups per table per transaction — COPY into a
 * temporary staging table, then this machine's rows of those groups replaced in one statement
 * pair. Then the winners step (winners.ts). A sync killed at any point leaves the warehouse with
 * whole batches only, and the next one sends what it lacks: what the warehouse took is recorded
 * locally only after its transaction committed, and the change log is let go only at the end.
 */
export interface PushOptions {
  targetId: string;
  machineId: string;
  version: string;
  /** --hash-identities: the team salt names and emails are hashed with; null to send them as git has them. */
  identitySalt: string | null;
  now: Date;
  /** Rows per transaction (default 100,000). */
  batchRows?: number;
  onTable?: (table: string, sent: TableCounts) => void;
}

export interface TableCounts {
  /** Groups whose rows were replaced (or removed). */
  groups: number;
  rows: number;
  /** Groups gone on this machine, removed from its rows in the warehouse. */
  removed: number;
}

export interface PushResult {
  /** true when every group was compared (first sync, or the change log could not be trusted). */
  full: boolean;
  tables: Record<string, TableCounts>;
  /** Repositories and sessions whose winners were recomputed. */
  winners: { repositories: number; sessions: number };
}

export const copyLine = (values: readonly unknown[]): string => `${values.map(copyValue).join('\t')}\n`;

export async function pushContract(db: Database, warehouse: Warehouse, options: PushOptions): Promise<PushResult> {
  defineContractFunctions(db);
  const untracked = ensureChangeTriggers(db);
  const target = loadTarget(db, options.targetId, warehouse.label);
  const clock = advanceClock(db);
  const full = untracked || target.syncedThrough === null;
  const changed = full ? null : { from: target.syncedThrough!, through: clock };
  const tables: Record<string, TableCounts> = {};
  for (const table of CONTRACT) {
    tables[table.name] = await pushTable(db, warehouse, table, changed, options);
    options.onTable?.(table.name, tables[table.name]!);
  }
  crashPoint('sync-before-winners');
  let winners: PushResult['winners'];
  try {
    winners = await finishWarehouse(warehouse, { id: options.machineId, version: options.version }, machineRepositories(db));
  } catch (error) {
    throw describeWarehouseError(warehouse.label, error, 'recomputing the winners');
  }
  finishTarget(db, target, clock, options.now);
  return { full, tables, winners };
}

async function pushTable(
  db: Database,
  warehouse: Warehouse,
  table: ContractTable,
  changed: { from: number; through: number } | null,
  options: PushOptions,
): Promise<TableCounts> {
  const counts: TableCounts = { groups: 0, rows: 0, removed: 0 };
  if (stageGroupKeys(db, table, changed, options.targetId) === 0) return counts;
  const sent = sentHashes(db, options.targetId, table.name);
  const maxRows = options.batchRows ?? 100_000;
  let from: number | null = 1;
  let pending: Group[] = [];
  let pendingRows = 0;
  const flush = async () => {
    if (pending.length === 0) return;
    try {
      await sendBatch(warehouse, table, pending, options);
    } catch (error) {
      throw describeWarehouseError(
        warehouse.label,
        error,
        `sending ${table.name} (nothing of this batch was written; run paceflow sync again)`,
      );
    }
    crashPoint(`sync-after-batch-${table.name}`);
    recordSent(db, options.targetId, table.name, pending);
    for (const g of pending) {
      if (g.lines.length === 0) counts.removed++;
      else counts.groups++;
      counts.rows += g.lines.length;
    }
    pending = [];
    pendingRows = 0;
  };
  while (from !== null) {
    const batch = readGroupBatch(db, table, from, maxRows, copyLine, options);
    for (const group of batch.groups) {
      const before = sent.get(`${group.k1}\0${group.k2}`);
      // Unchanged since the warehouse took it, or gone and never sent: nothing to do.
      if (group.lines.length === 0 ? before === undefined : before === group.hash) continue;
      pending.push(group);
      pendingRows += group.lines.length;
    }
    if (pendingRows >= maxRows) await flush();
    from = batch.next;
  }
  await flush();
  return counts;
}

const groupMatch = (table: ContractTable, alias: string) =>
  table.group.length === 2
    ? `${alias}.${table.group[0]} = g.k1 AND ${alias}.${table.group[1]} = g.k2`
    : `${alias}.${table.group[0]} = g.k1`;

const PG_TYPES = { text: 'text', integer: 'bigint', real: 'double precision' } as const;

/** One transaction: stage the groups and their rows with COPY, replace this machine's rows of them. */
async function sendBatch(warehouse: Warehouse, table: ContractTable, groups: readonly Group[], options: PushOptions): Promise<void> {
  const columns = table.columns.map((c) => c.name).join(', ');
  await warehouse.transaction(async () => {
    await warehouse.query(
      `CREATE TEMP TABLE paceflow_stage (${table.columns.map((c) => `${c.name} ${PG_TYPES[c.type]}`).join(', ')}) ON COMMIT DROP`,
    );
    await warehouse.query(`CREATE TEMP TABLE paceflow_stage_groups (k1 text NOT NULL, k2 text NOT NULL) ON COMMIT DROP`);
    await warehouse.copy(
      `COPY paceflow_stage_groups (k1, k2) FROM STDIN`,
      groups.map((g) => copyLine([g.k1, g.k2])),
    );
    await warehouse.copy(`COPY paceflow_stage (${columns}) FROM STDIN`, linesOf(groups));
    await warehouse.query(
      `DELETE FROM sync_${table.name} t USING paceflow_stage_groups g WHERE t.machine_id = $1 AND ${groupMatch(table, 't')}`,
      [options.machineId],
    );
    await warehouse.query(
      `INSERT INTO sync_${table.name} (machine_id, ${columns}, paceflow_version) SELECT $1, ${columns}, $2 FROM paceflow_stage`,
      [options.machineId, options.version],
    );
    const pendingTable = table.group[0] === 'session_id' ? 'sync_pending_sessions (session_id)' : 'sync_pending_repositories (repo_id)';
    await warehouse.query(`INSERT INTO ${pendingTable} SELECT DISTINCT k1 FROM paceflow_stage_groups ON CONFLICT DO NOTHING`);
  });
}

function* linesOf(groups: readonly Group[]): Generator<string> {
  for (const g of groups) yield* g.lines;
}

/** How new this machine's picture of each repository is: its mainline tip's time, its last ingest. */
function machineRepositories(db: Database): MachineRepository[] {
  return db
    .prepare(`
      SELECT r.repo_id, r.last_ingested_at AS built_at,
        (SELECT max(c.committed_at) FROM metadata_branches b
         JOIN metadata_commits c ON c.repo_id = b.repo_id AND c.sha = b.head_sha
         WHERE b.repo_id = r.repo_id AND b.is_mainline = 1 AND b.is_present = 1) AS mainline_at
      FROM metadata_repositories r ORDER BY r.repo_id`)
    .all<MachineRepository>();
}
