import type BetterSqlite3 from 'better-sqlite3';
import { loadBetterSqlite3 } from './better-sqlite3-package.js';
import type { Database, OpenOptions, SqlValue, Statement } from './driver.js';
import { immediateTransaction } from './immediate.js';
import { WrappedStatement } from './statement.js';

/** How many compiled statements a connection keeps (SQL built per call, e.g. IN lists, comes and goes). */
const STATEMENTS_KEPT = 256;

export class BetterSqliteDatabase implements Database {
  private readonly db: BetterSqlite3.Database;
  private asyncDepth = 0;
  /**
   * Statements by their SQL, most recently asked last. Builders prepare the same few statements per
   * commit (a first build: tens of thousands of times, ~0.4 s of compiling at 20k commits); SQLite
   * compiles each text once. A statement still busy (its rows being iterated) is never handed out
   * twice: the caller gets one of its own.
   */
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  /**
   * The same for the statements that read rows as arrays (raw mode sticks to a statement, so each
   * text has one of each). Compiled afresh at every call before: a rule asking a path's commits
   * of the index for each of 6,573 paths compiled 6,573 statements (~10 µs each).
   */
  private readonly rawStatements = new Map<string, BetterSqlite3.Statement>();

  constructor(
    readonly path: string,
    options: OpenOptions = {},
  ) {
    const { Database: Native, nativeBinding } = loadBetterSqlite3();
    this.db = new Native(path, {
      readonly: options.readonly ?? false,
      fileMustExist: options.readonly ?? false,
      timeout: options.busyTimeoutMs ?? 5000,
      ...(nativeBinding ? { nativeBinding } : {}),
    });
  }

  get readonly(): boolean {
    return this.db.readonly;
  }

  exec(sql: string): void {
    this.db.exec(sql);
  }

  prepare(sql: string): Statement {
    const stmt = this.compiled(sql);
    return new WrappedStatement(
      stmt,
      stmt.readonly,
      () => (stmt.reader ? stmt.columns().map((c) => c.name) : []),
      () => this.compiled(sql, this.rawStatements, (stmt) => stmt.raw(true)),
    );
  }

  private compiled(
    sql: string,
    statements = this.statements,
    mode: (stmt: BetterSqlite3.Statement) => BetterSqlite3.Statement = (stmt) => stmt,
  ): BetterSqlite3.Statement {
    const kept = statements.get(sql);
    if (kept && !kept.busy) {
      statements.delete(sql);
      statements.set(sql, kept);
      return kept;
    }
    const stmt = mode(this.db.prepare(sql));
    if (kept) return stmt;
    statements.set(sql, stmt);
    if (statements.size > STATEMENTS_KEPT) statements.delete(statements.keys().next().value!);
    return stmt;
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
