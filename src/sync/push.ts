import type { Database } from '../db/driver.js';
import { crashPoint } from '../crash-point.js';
import { CONTRACT, type ContractTable, PG_TYPES } from './contract.js';
import {
  advanceClock,
  defineContractFunctions,
  ensureChangeTriggers,
  finishTarget,
  type Group,
  loadTarget,
  readGroups,
  recordSent,
  sentHashes,
  stageChangedKeys,
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
  winners: { repositories: number; commits: number; sessions: number };
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
  if (changed && stageChangedKeys(db, table, changed) === 0) return counts;
  const sent = sentHashes(db, options.targetId, table.name, changed !== null);
  // A first sync into a warehouse that holds nothing of this machine's for the table has nothing
  // to replace: COPY goes straight into its sync_* table, in the same transaction per batch.
  const direct = !changed && sent.size === 0 && (await holdsNothing(warehouse, table, options.machineId));
  const maxRows = options.batchRows ?? 100_000;
  // What the warehouse committed, recorded here once the read is over (this connection is busy
  // reading until then). A sync killed before that sends those groups again: the same rows.
  const committed: Group[] = [];
  const groups = readGroups(db, table, changed, sent, options);
  const source = { groups, exhausted: false };
  try {
    while (!source.exhausted) {
      // The rows stream to the server as they are read: SQLite and PostgreSQL work at once.
      const kept: Group[] = [];
      try {
        await stageBatch(warehouse, table, linesOf(source, sent, kept, maxRows), kept, direct ? options : null);
        if (kept.length === 0) {
          await warehouse.query('ROLLBACK');
          break;
        }
        await warehouse.query(direct ? finishDirectSql(table, options) : applySql(table, options));
      } catch (error) {
        await warehouse.query('ROLLBACK').catch(() => undefined);
        throw describeWarehouseError(
          warehouse.label,
          error,
          `sending ${table.name} (nothing of this batch was written; run paceflow sync again)`,
        );
      }
      crashPoint(`sync-after-batch-${table.name}`);
      for (const g of kept) {
        if (g.lines.length === 0) counts.removed++;
        else counts.groups++;
        counts.rows += g.lines.length;
      }
      committed.push(...kept);
    }
  } finally {
    groups.return(undefined);
    if (committed.length > 0) recordSent(db, options.targetId, table.name, committed);
  }
  return counts;
}

/**
 * The COPY lines of the next groups that differ from what the warehouse holds, until about
 * `maxRows` rows (a group is never split); each group taken goes to `kept` (its lines counted, not
 * kept). Marks the source exhausted when it runs out.
 */
function* linesOf(
  source: { groups: Generator<Group>; exhausted: boolean },
  sent: ReadonlyMap<string, string>,
  kept: Group[],
  maxRows: number,
): Generator<string> {
  let rows = 0;
  while (rows < maxRows) {
    const next = source.groups.next();
    if (next.done) {
      source.exhausted = true;
      return;
    }
    const group = next.value;
    const before = sent.get(`${group.k1}\0${group.k2}`);
    // Unchanged since the warehouse took it, or gone and never sent: nothing to do.
    if (group.lines.length === 0 ? before === undefined : before === group.hash) continue;
    kept.push({ k1: group.k1, k2: group.k2, hash: group.hash, lines: new Array<string>(group.lines.length) });
    yield* group.lines;
    rows += group.lines.length + 1;
  }
}

const groupMatch = (table: ContractTable, alias: string) =>
  table.group.length === 2
    ? `${alias}.${table.group[0]} = g.k1 AND ${alias}.${table.group[1]} = g.k2`
    : `${alias}.${table.group[0]} = g.k1`;

const literal = (value: string) => `'${value.replaceAll("'", "''")}'`;

async function holdsNothing(warehouse: Warehouse, table: ContractTable, machineId: string): Promise<boolean> {
  const rows = await warehouse.query(`SELECT 1 FROM sync_${table.name} WHERE machine_id = $1 LIMIT 1`, [machineId]);
  return rows.length === 0;
}

/**
 * Opens the batch's transaction and stages its rows with COPY into a temporary table — or, on the
 * direct path (`direct` given), straight into the sync_* table — then the groups they came in.
 */
async function stageBatch(
  warehouse: Warehouse,
  table: ContractTable,
  lines: Iterable<string>,
  groups: readonly Group[],
  direct: PushOptions | null,
): Promise<void> {
  const columns = table.columns.map((c) => c.name).join(', ');
  await warehouse.query(
    `BEGIN;
     ${direct ? '' : `CREATE TEMP TABLE paceflow_stage (${table.columns.map((c) => `${c.name} ${PG_TYPES[c.type]}`).join(', ')}) ON COMMIT DROP;`}
     CREATE TEMP TABLE paceflow_stage_groups (k1 text NOT NULL, k2 text NOT NULL) ON COMMIT DROP`,
  );
  if (direct) {
    const [machine, version] = [copyValue(direct.machineId), copyValue(direct.version)];
    await warehouse.copy(
      `COPY sync_${table.name} (machine_id, ${columns}, paceflow_version) FROM STDIN`,
      (function* () {
        for (const line of lines) yield `${machine}\t${line.slice(0, -1)}\t${version}\n`;
      })(),
    );
  } else {
    await warehouse.copy(`COPY paceflow_stage (${columns}) FROM STDIN`, lines);
  }
  await warehouse.copy(
    `COPY paceflow_stage_groups (k1, k2) FROM STDIN`,
    groups.map((g) => copyLine([g.k1, g.k2])),
  );
}

/** The staged groups marked for the winners step: their sessions, their repositories, or their commits. */
function markPending(table: ContractTable): string {
  if (table.group[0] === 'session_id')
    return `INSERT INTO sync_pending_sessions (session_id) SELECT DISTINCT k1 FROM paceflow_stage_groups ON CONFLICT DO NOTHING`;
  if (table.group.length === 1)
    return `INSERT INTO sync_pending_repositories (repo_id) SELECT DISTINCT k1 FROM paceflow_stage_groups ON CONFLICT DO NOTHING`;
  return `INSERT INTO sync_pending_commits (repo_id, sha) SELECT DISTINCT k1, k2 FROM paceflow_stage_groups ON CONFLICT DO NOTHING`;
}

/**
 * An outcome row names the mainline commit that carries it, whose winner depends on it: that
 * commit is marked too — for this machine's rows of the staged groups as they are now (before the
 * replacement: the old rows; after: the new ones).
 */
function markCarried(table: ContractTable, machine: string): string {
  if (table.name !== 'event_commit_outcomes') return '';
  return `INSERT INTO sync_pending_commits (repo_id, sha)
    SELECT DISTINCT t.repo_id, t.mainline_sha FROM sync_event_commit_outcomes t
    JOIN paceflow_stage_groups g ON t.repo_id = g.k1 AND t.sha = g.k2
    WHERE t.machine_id = ${machine} AND t.mainline_sha IS NOT NULL
    ON CONFLICT DO NOTHING;`;
}

/** The direct path's end of a batch: its groups marked for the winners step, COMMIT. */
function finishDirectSql(table: ContractTable, options: PushOptions): string {
  return `${markCarried(table, literal(options.machineId))}
    ${markPending(table)};
    COMMIT`;
}

/**
 * The rest of the batch's transaction, as one message: this machine's rows of the staged groups
 * replaced, the groups marked for the winners step, COMMIT. (Literals, not parameters: a message
 * with several statements takes none; the machine id and version are quoted.)
 */
function applySql(table: ContractTable, options: PushOptions): string {
  const columns = table.columns.map((c) => c.name).join(', ');
  const machine = literal(options.machineId);
  return `${markCarried(table, machine)}
    DELETE FROM sync_${table.name} t USING paceflow_stage_groups g WHERE t.machine_id = ${machine} AND ${groupMatch(table, 't')};
    INSERT INTO sync_${table.name} (machine_id, ${columns}, paceflow_version) SELECT ${machine}, ${columns}, ${literal(options.version)} FROM paceflow_stage;
    ${markCarried(table, machine)}
    ${markPending(table)};
    COMMIT`;
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
