import { createHash } from 'node:crypto';
import type { Database } from '../db/driver.js';
import { ConfigError } from '../errors.js';
import { machineId } from './local-changes.js';
import { connectWarehouse, describeWarehouseError } from './postgres.js';
import { type PushResult, pushContract } from './push.js';
import { prepareWarehouse, WAREHOUSE_SCHEMA } from './warehouse-schema.js';

export interface SyncRequest {
  /** postgres://… (may hold a password; never printed). */
  url: string;
  version: string;
  /** The team salt for --hash-identities, or null. */
  identitySalt: string | null;
  now?: Date;
  batchRows?: number;
  /** The id this database syncs as (the Action: one per repository); default: its own random one. */
  machineId?: string;
}

export interface SyncOutcome extends PushResult {
  /** user@host:port/database */
  label: string;
  machineId: string;
}

/** Where the warehouse URL comes from, first found: the flag, PACEFLOW_WAREHOUSE_URL, the config file. */
export function resolveWarehouseUrl(flag: string | undefined, env: NodeJS.ProcessEnv, configured: string | undefined): string {
  const url = flag ?? (env.PACEFLOW_WAREHOUSE_URL || undefined) ?? configured;
  if (!url)
    throw new ConfigError(
      'no warehouse given: pass --to postgres://user@host/db, set PACEFLOW_WAREHOUSE_URL, or set "warehouse": {"url": …} in paceflow.config.json',
    );
  if (!/^postgres(ql)?:\/\//i.test(url)) throw new ConfigError('the warehouse URL must start with postgres:// or postgresql://');
  return url;
}

/** The salt --hash-identities needs, from PACEFLOW_IDENTITY_SALT (a team secret; never printed or stored). */
export function identitySalt(hash: boolean, env: NodeJS.ProcessEnv): string | null {
  if (!hash) return null;
  const salt = env.PACEFLOW_IDENTITY_SALT;
  if (!salt || salt.length < 8)
    throw new ConfigError(
      '--hash-identities needs the team salt in PACEFLOW_IDENTITY_SALT (at least 8 characters, the same on every machine)',
    );
  return salt;
}

/** A warehouse's identity for this database's bookkeeping: host, port, database and schema — not the credentials. */
export function targetId(url: string): string {
  const u = new URL(url);
  return createHash('sha256')
    .update([u.hostname.toLowerCase(), u.port || '5432', decodeURIComponent(u.pathname), WAREHOUSE_SCHEMA].join('\0'))
    .digest('hex')
    .slice(0, 24);
}

/** `paceflow sync`'s work once the database is open: connect, prepare the schema, push, finish. */
export async function syncToWarehouse(db: Database, request: SyncRequest): Promise<SyncOutcome> {
  const warehouse = await connectWarehouse(request.url);
  try {
    try {
      await prepareWarehouse(warehouse);
    } catch (error) {
      throw describeWarehouseError(warehouse.label, error, 'preparing the schema');
    }
    const machine = request.machineId ?? machineId(db);
    const result = await pushContract(db, warehouse, {
      targetId: targetId(request.url),
      machineId: machine,
      version: request.version,
      identitySalt: request.identitySalt,
      now: request.now ?? new Date(),
      ...(request.batchRows ? { batchRows: request.batchRows } : {}),
    });
    return { ...result, label: warehouse.label, machineId: machine };
  } finally {
    await warehouse.close();
  }
}
