import type { Database, OpenOptions, SqlValue, Statement } from './driver.js';
import { immediateTransaction } from './immediate.js';
import { WrappedStatement, type NativeStatementLike } from './statement.js';

/**
 * The database interface over `node:sqlite` (Node 22.5+; unflagged and quiet on 24): what the
 * bundled GitHub Action uses, so it needs no native addon and no install step.
 * The types below are the part of node:sqlite this file uses (@types/node 20 has none).
 */
interface NativeStatement extends NativeStatementLike {
  columns(): { name: string }[];
  /** Node 24; older versions lack it (then rows become arrays here). */
  setReturnArrays?(enabled: boolean): void;
}
interface NativeDatabase {
  exec(sql: string): void;
  prepare(sql: string): NativeStatement;
  function(name: string, options: { deterministic?: boolean }, fn: (...args: unknown[]) => unknown): void;
  close(): void;
  readonly isOpen: boolean;
  readonly isTransaction?: boolean;
}
interface SqliteModule {
  DatabaseSync: new (path: string, options: { readOnly?: boolean; timeout?: number }) => NativeDatabase;
}

function loadSqlite(): SqliteModule {
  const getBuiltin = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  const sqlite = getBuiltin?.('node:sqlite') as SqliteModule | undefined;
  if (!sqlite) throw new Error(`node:sqlite needs Node 22.5 or newer (this is ${process.version})`);
  return sqlite;
}

/**
 * node:sqlite does not expose sqlite3_stmt_readonly; statements that start as a query are taken as
 * read-only. Only `paceflow sql` asks, and the Action never runs it.
 */
const READ_ONLY = /^\s*(?:--[^\n]*\n\s*)*(?:SELECT|WITH|VALUES|EXPLAIN)\b/i;

export class NodeSqliteDatabase implements Database {
  private readonly db: NativeDatabase;
  private depth = 0;
  private asyncDepth = 0;

  constructor(
    readonly path: string,
    private readonly options: OpenOptions = {},
  ) {
    const { DatabaseSync } = loadSqlite();
    this.db = new DatabaseSync(path, { readOnly: options.readonly ?? false, timeout: options.busyTimeoutMs ?? 5000 });
  }

  get readonly(): boolean {
    return this.options.readonly ?? false;
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  prepare(sql: string): Statement {
    const stmt = this.db.prepare(sql);
    return new WrappedStatement(
      stmt,
      READ_ONLY.test(sql),
      () => stmt.columns().map((c) => c.name),
      () => {
        const own = this.db.prepare(sql);
        if (own.setReturnArrays) {
          own.setReturnArrays(true);
          return own;
        }
        return {
          run: (...params) => own.run(...params),
          all: (...params) => own.all(...params).map((row) => Object.values(row as object)),
          get: (...params) => Object.values(own.get(...params) as object),
          iterate: function* (...params) {
            for (const row of own.iterate(...params)) yield Object.values(row as object);
          },
        };
      },
    );
  }

  /** BEGIN IMMEDIATE at the outside, a savepoint inside (as better-sqlite3 nests them). */
  transaction<T>(fn: () => T): T {
    const savepoint = this.depth > 0 || this.asyncDepth > 0 ? `paceflow_${this.depth}` : null;
    this.db.exec(savepoint ? `SAVEPOINT ${savepoint}` : 'BEGIN IMMEDIATE');
    this.depth++;
    try {
      const result = fn();
      this.db.exec(savepoint ? `RELEASE ${savepoint}` : 'COMMIT');
      return result;
    } catch (error) {
      this.db.exec(savepoint ? `ROLLBACK TO ${savepoint}; RELEASE ${savepoint}` : 'ROLLBACK');
      throw error;
    } finally {
      this.depth--;
    }
  }

  async transactionAsync<T>(fn: () => Promise<T>): Promise<T> {
    if (this.asyncDepth > 0 || this.depth > 0) throw new Error('transactionAsync cannot nest inside another transaction');
    this.asyncDepth++;
    try {
      const db = this.db;
      // isTransaction exists from Node 22.16; before it, assume the transaction is still open.
      return await immediateTransaction(
        {
          exec: (sql) => db.exec(sql),
          get inTransaction() {
            return db.isTransaction ?? true;
          },
        },
        fn,
      );
    } finally {
      this.asyncDepth--;
    }
  }

  /** `PRAGMA x` / `PRAGMA x = v`: the rows it returns, as better-sqlite3's pragma() does. */
  pragma(sql: string): unknown {
    return this.db.prepare(`PRAGMA ${sql}`).all();
  }

  defineFunction(name: string, fn: (...args: SqlValue[]) => SqlValue): void {
    this.db.function(name, { deterministic: true }, fn as (...args: unknown[]) => unknown);
  }

  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}
