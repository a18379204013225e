import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import type { Database } from '../db/driver.js';
import { UsageError } from '../errors.js';
import { CONTRACT, type ContractTable } from './contract.js';
import { defineContractFunctions, hashIdentities, machineId, selectList } from './local-changes.js';

/**
 * `paceflow export`: the sync contract as files for a data lake (DESIGN §9) — one dataset per
 * table, Hive-style partitions by repository and month (`<table>/repo_id=<id>/month=<YYYY-MM>/`,
 * percent-encoded; `__HIVE_DEFAULT_PARTITION__` for none), and manifest.json with the schema
 * version, every table's columns and row counts, and every file. Parquet (hyparquet-writer, snappy)
 * for DuckDB, Spark, Trino or BigQuery; CSV for spreadsheets. The same columns and transforms as
 * `paceflow sync`: nothing with prompt text, code or home paths.
 *
 * Written beside the old export in a hidden folder and moved into place table by table, the manifest
 * last: a run killed half-way leaves the previous export readable, and the next run cleans up.
 */
export type ExportFormat = 'parquet' | 'csv';

export interface ExportRequest {
  out: string;
  format: ExportFormat;
  version: string;
  schemaVersion: number;
  identitySalt: string | null;
  now: Date;
  /** Rows per file before a partition starts another part (default 250,000). */
  rowsPerFile?: number;
}

export interface ExportManifest {
  paceflow: string;
  format: ExportFormat;
  contract_version: 1;
  schema_version: number;
  generated_at: string;
  /** The machine the files came from (the id `paceflow sync` uses). */
  machine_id: string;
  partitioning: ['repo_id', 'month'];
  tables: Record<
    string,
    {
      key: string[];
      columns: { name: string; type: 'text' | 'integer' | 'real' }[];
      rows: number;
      files: { path: string; rows: number; repo_id: string | null; month: string | null }[];
    }
  >;
}

const DEFAULT_PARTITION = '__HIVE_DEFAULT_PARTITION__';
const PARQUET_TYPES = { text: 'STRING', integer: 'INT64', real: 'DOUBLE' } as const;

export function exportContract(db: Database, request: ExportRequest): ExportManifest {
  if (request.format !== 'parquet' && request.format !== 'csv') {
    throw new UsageError(`--format takes parquet or csv, got "${request.format}"`);
  }
  defineContractFunctions(db);
  mkdirSync(request.out, { recursive: true });
  for (const name of readdirSync(request.out)) {
    if (name.startsWith('.paceflow-export-')) rmSync(join(request.out, name), { recursive: true, force: true });
  }
  const staging = join(request.out, `.paceflow-export-${randomBytes(6).toString('hex')}`);
  const manifest: ExportManifest = {
    paceflow: request.version,
    format: request.format,
    contract_version: 1,
    schema_version: request.schemaVersion,
    generated_at: request.now.toISOString(),
    machine_id: machineId(db),
    partitioning: ['repo_id', 'month'],
    tables: {},
  };
  try {
    for (const table of CONTRACT) manifest.tables[table.name] = writeTable(db, table, staging, request);
    for (const table of CONTRACT) {
      rmSync(join(request.out, table.name), { recursive: true, force: true });
      renameSync(join(staging, table.name), join(request.out, table.name));
    }
    writeFileSync(join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    renameSync(join(staging, 'manifest.json'), join(request.out, 'manifest.json'));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return manifest;
}

function writeTable(db: Database, table: ContractTable, staging: string, request: ExportRequest): ExportManifest['tables'][string] {
  const dir = join(staging, table.name);
  mkdirSync(dir, { recursive: true });
  const identities = table.columns.filter((c) => c.identity).map((c) => c.name);
  const repoColumn = table.columns.some((c) => c.name === 'repo_id') ? 't.repo_id' : 'NULL';
  const rows = db
    .prepare(
      `SELECT ${repoColumn} AS paceflow_repo, ${table.month} AS paceflow_month, ${selectList(table)}
       FROM ${table.name} t ORDER BY 1, 2, ${table.key.map((k) => `t.${k}`).join(', ')}`,
    )
    .iterate<Record<string, unknown>>();
  const entry: ExportManifest['tables'][string] = {
    key: [...table.key],
    columns: table.columns.map((c) => ({ name: c.name, type: c.type })),
    rows: 0,
    files: [],
  };
  const limit = request.rowsPerFile ?? 250_000;
  let batch: Record<string, unknown>[] = [];
  let partition: { repo: string | null; month: string | null; part: number } | null = null;
  const flush = () => {
    if (!partition || batch.length === 0) return;
    const relative = join(
      table.name,
      `repo_id=${partition.repo === null ? DEFAULT_PARTITION : encodeURIComponent(partition.repo)}`,
      `month=${partition.month ?? DEFAULT_PARTITION}`,
      `part-${String(partition.part).padStart(5, '0')}.${request.format}`,
    );
    const file = join(staging, relative);
    mkdirSync(join(file, '..'), { recursive: true });
    if (request.format === 'parquet') writeParquet(file, table, batch, request.version);
    else writeFileSync(file, csvText(table, batch));
    entry.files.push({ path: relative.split('\\').join('/'), rows: batch.length, repo_id: partition.repo, month: partition.month });
    entry.rows += batch.length;
    partition.part++;
    batch = [];
  };
  for (const row of rows) {
    const repo = (row.paceflow_repo as string | null) ?? null;
    const month = /^\d{4}-\d{2}$/.test(String(row.paceflow_month)) ? (row.paceflow_month as string) : null;
    if (!partition || partition.repo !== repo || partition.month !== month) {
      flush();
      partition = { repo, month, part: 0 };
    }
    hashIdentities(row, identities, request.identitySalt);
    batch.push(row);
    if (batch.length >= limit) flush();
  }
  flush();
  return entry;
}

function writeParquet(file: string, table: ContractTable, rows: Record<string, unknown>[], version: string): void {
  parquetWriteFile({
    filename: file,
    createdBy: `paceflow ${version}`,
    columnData: table.columns.map((c) => ({
      name: c.name,
      type: PARQUET_TYPES[c.type],
      data: rows.map((r) => {
        const v = r[c.name];
        if (v === null || v === undefined) return null;
        return c.type === 'integer' ? BigInt(v as number) : c.type === 'real' ? Number(v) : String(v);
      }),
    })),
  });
}

/** RFC 4180: a header, every field that holds a comma, quote or line break quoted; NULL is empty. */
function csvText(table: ContractTable, rows: Record<string, unknown>[]): string {
  const field = (v: unknown) => {
    if (v === null || v === undefined) return '';
    const text = String(v);
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  const lines = [table.columns.map((c) => c.name).join(',')];
  for (const row of rows) lines.push(table.columns.map((c) => field(row[c.name])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
