import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import type { Database, OpenOptions, SqlValue, Statement } from './driver.js';
import { immediateTransaction } from './immediate.js';
import { WrappedStatement } from './statement.js';

export class BetterSqliteDatabase implements Database {
  private readonly db: BetterSqlite3.Database;
  private asyncDepth = 0;

  constructor(
    readonly path: string,
    options: OpenOptions = {},
  ) {
    // Loaded when first used, so a bundle that opens databases through node:sqlite (the Action)
    // never needs the native addon.
    const Native = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
    this.db = new Native(path, {
      readonly: options.readonly ?? false,
      fileMustExist: options.readonly ?? false,
      timeout: options.busyTimeoutMs ?? 5000,
    });
  }

  get readonly(): boolean {
    return this.db.readonly;
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  prepare(sql: string): Statement {
    const stmt = this.db.prepare(sql);
    return new WrappedStatement(
      stmt,
      stmt.readonly,
      () => (stmt.reader ? stmt.columns().map((c) => c.name) : []),
      () => this.db.prepare(sql).raw(true),
    );
  }

  transaction<T>(fn: () => T): T {
    if (this.db.inTransaction) return this.db.transaction(fn)();
    return this.db.transaction(fn).immediate();
  }

  async transactionAsync<T>(fn: () => Promise<T>): Promise<T> {
    if (this.asyncDepth > 0 || this.db.inTransaction) {
      throw new Error('transactionAsync cannot nest inside another transaction');
    }
    this.asyncDepth++;
    try {
      return await immediateTransaction(this.db, fn);
    } finally {
      this.asyncDepth--;
    }
  }

  pragma(sql: string): unknown {
    return this.db.pragma(sql);
  }

  defineFunction(name: string, fn: (...args: SqlValue[]) => SqlValue): void {
    this.db.function(name, { deterministic: true }, fn as (...args: unknown[]) => unknown);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
