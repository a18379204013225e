import { readFileSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { type ConnectionOptions, rootCertificates } from 'node:tls';
import pg from 'pg';
import { parse as parseConnectionString } from 'pg-connection-string';
import { from as copyFrom } from 'pg-copy-streams';
import { PaceflowError } from '../errors.js';

/**
 * The warehouse connection: node-postgres (`pg`) with COPY through pg-copy-streams. The URL may
 * hold a password; it is never printed — every message names the warehouse by `label` (user, host,
 * port and database only). TLS comes from the URL as libpq spells it (`sslmode=require`,
 * `sslrootcert=…`), read by pg's connection-string parser; a password can also come from
 * PGPASSWORD or ~/.pgpass instead of the URL.
 */
export class WarehouseError extends PaceflowError {}

/** user@host:port/database — what a message may show of a warehouse URL. */
export function warehouseLabel(url: string): string {
  try {
    const u = new URL(url);
    if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') return 'the warehouse (not a postgres:// URL)';
    const user = u.username ? `${decodeURIComponent(u.username)}@` : '';
    return `${user}${u.hostname || 'localhost'}:${u.port || '5432'}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return 'the warehouse (an unreadable URL)';
  }
}

// Counts (bigint) and sums/averages (numeric) come back as strings by default; every value the
// views return fits a double, and the renderers want numbers, as SQLite gives them.
const INT8 = 20;
const NUMERIC = 1700;
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8 || oid === NUMERIC) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
};

export interface Warehouse {
  readonly label: string;
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** COPY … FROM STDIN fed these lines (each already in COPY's text format, ending in \n). */
  copy(sql: string, lines: Iterable<string>): Promise<void>;
  /** Runs fn in one transaction: COMMIT when it resolves, ROLLBACK when it throws. */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Why a connection or statement failed, in one line, for a person. */
export function describeWarehouseError(label: string, error: unknown, doing: string): WarehouseError {
  if (error instanceof WarehouseError) return error;
  const e = error as { code?: string; message?: string };
  const reason =
    e.code === 'ECONNREFUSED'
      ? 'connection refused (is the server running, and on that port?)'
      : e.code === 'ENOTFOUND'
        ? 'no such host'
        : e.code === 'ETIMEDOUT'
          ? 'the connection timed out'
          : e.code === '28P01' || e.code === '28000'
            ? `${e.message} (check the password: in the URL, PGPASSWORD or ~/.pgpass)`
            : e.code === '3D000'
              ? `${e.message} (create it first: createdb)`
              : /Connection terminated|ECONNRESET|EPIPE|server closed the connection/i.test(`${e.message} ${e.code}`)
                ? 'the connection dropped'
                : (e.message ?? String(error)).split('\n')[0];
  return new WarehouseError(`warehouse ${label}: ${doing}: ${reason}`, { cause: error });
}

/**
 * The URL with libpq's meaning of `sslmode` (`require`: encrypted; `verify-full`: the certificate
 * and host checked), as the docs promise; node-postgres otherwise reads every mode as verify-full
 * and prints a multi-line warning.
 */
export function libpqTls(url: string): string {
  try {
    const u = new URL(url);
    if (!u.searchParams.has('sslmode') || u.searchParams.has('uselibpqcompat')) return url;
    u.searchParams.set('uselibpqcompat', 'true');
    return u.toString();
  } catch {
    return url;
  }
}

/**
 * The CA file the hooks' worker was handed instead of NODE_EXTRA_CA_CERTS, or null. Node 20 reads
 * NODE_EXTRA_CA_CERTS at every start, before any code runs (~40 ms a process here, with Debian's
 * 140-certificate bundle), and the worker starts after every commit but syncs only with
 * `warehouse.syncAfterIngest`: the hook shim empties it for the worker and hands its value on as
 * PACEFLOW_EXTRA_CA_CERTS (hooks/paceflow-hook.sh), for a connection to trust as Node would have.
 */
export function handedOnCaFile(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.NODE_EXTRA_CA_CERTS) return null; // Node read it itself
  return env.PACEFLOW_EXTRA_CA_CERTS || null;
}

/**
 * pg's client settings for a URL: the URL alone, or — with a handed-on CA file and a TLS connection
 * that verifies against Node's default roots — the URL parsed as pg parses it, with those roots
 * and the file's certificates as its `ca`, which is what NODE_EXTRA_CA_CERTS does (Node's bundled
 * roots plus the file). A URL's own `sslrootcert` (libpq: the only roots) is kept as it is; an
 * unreadable file is skipped, as Node skips it (with a warning) at start.
 */
export function clientSettings(url: string, env: NodeJS.ProcessEnv = process.env): pg.ClientConfig {
  const connectionString = libpqTls(url);
  const caFile = handedOnCaFile(env);
  if (!caFile) return { connectionString };
  const parsed = parseConnectionString(connectionString);
  // No TLS setting in the URL: pg takes it from PGSSLMODE (connection-parameters.js), as here.
  const ssl: unknown = parsed.ssl === undefined ? sslFromEnvironment(env.PGSSLMODE) : parsed.ssl;
  const settings = ssl === true ? {} : typeof ssl === 'object' && ssl !== null && !('ca' in ssl) ? (ssl as ConnectionOptions) : null;
  if (!settings) return { connectionString };
  let extra: string;
  try {
    extra = readFileSync(caFile, 'utf8');
  } catch {
    return { connectionString };
  }
  const { ssl: _ssl, port, ...rest } = parsed;
  return {
    ...(rest as pg.ClientConfig),
    ...(port ? { port: Number(port) } : {}),
    ssl: { ...settings, ca: [...rootCertificates, extra] },
  };
}

/** pg's reading of PGSSLMODE when the URL says nothing of TLS. */
function sslFromEnvironment(mode: string | undefined): boolean | { rejectUnauthorized: boolean } | undefined {
  if (mode === 'disable') return false;
  if (mode === 'prefer' || mode === 'require' || mode === 'verify-ca' || mode === 'verify-full') return true;
  if (mode === 'no-verify') return { rejectUnauthorized: false };
  return undefined;
}

export async function connectWarehouse(url: string, options: { schema?: string } = {}): Promise<Warehouse> {
  const label = warehouseLabel(url);
  // The URL's own application_name, if any, wins (as pg merges a connectionString over the rest).
  const client = new pg.Client({ types, connectionTimeoutMillis: 15_000, application_name: 'paceflow', ...clientSettings(url) });
  // A connection that drops while idle emits 'error' on the client; the next query reports it.
  client.on('error', () => undefined);
  try {
    await client.connect();
    // Staging tables are temporary: room for a batch in memory before they spill to disk.
    await client.query(`SET temp_buffers = '64MB'`);
    if (options.schema) await client.query(`SET search_path TO ${quoteIdentifier(options.schema)}, public`);
  } catch (error) {
    await client.end().catch(() => undefined);
    throw describeWarehouseError(label, error, 'cannot connect');
  }
  let inTransaction = false;
  const warehouse: Warehouse = {
    label,
    async query<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
      return (await client.query(sql, params as unknown[])).rows as T[];
    },
    async copy(sql, lines) {
      const stream = client.query(copyFrom(sql));
      await pipeline(Readable.from(batched(lines)), stream);
    },
    async transaction(fn) {
      if (inTransaction) return fn();
      inTransaction = true;
      await client.query('BEGIN');
      try {
        const result = await fn();
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        inTransaction = false;
      }
    },
    async close() {
      await client.end().catch(() => undefined);
    },
  };
  return warehouse;
}

/** Lines joined into chunks of about 256 KiB: one write per chunk, not per row. */
function* batched(lines: Iterable<string>): Generator<string> {
  let chunk: string[] = [];
  let size = 0;
  for (const line of lines) {
    chunk.push(line);
    size += line.length;
    if (size >= 1 << 18) {
      yield chunk.join('');
      chunk = [];
      size = 0;
    }
  }
  if (chunk.length > 0) yield chunk.join('');
}

export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** One value in COPY's text format: \N for NULL; backslash, tab, newline and carriage return escaped. */
export function copyValue(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  const text = typeof value === 'string' ? value : String(value);
  return /[\\\t\n\r]/.test(text) ? text.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!) : text;
}
