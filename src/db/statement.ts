import type { Row, RunResult, SqlParams, Statement } from './driver.js';

/** What better-sqlite3's and node:sqlite's prepared statements have in common. */
export interface NativeStatementLike {
  run(...params: unknown[]): { changes: number | bigint };
  all(...params: unknown[]): unknown[];
  get(...params: unknown[]): unknown;
  iterate(...params: unknown[]): IterableIterator<unknown>;
}

function bind(params: SqlParams | undefined): unknown[] {
  if (params === undefined) return [];
  return Array.isArray(params) ? (params as unknown[]) : [params];
}

/** A driver's statement behind the Statement interface; drivers say how to read columns and read-only-ness. */
export class WrappedStatement implements Statement {
  constructor(
    private readonly stmt: NativeStatementLike,
    readonly readonly: boolean,
    private readonly columnNames: () => string[],
    /** The driver's own array mode, on a statement of its own (the mode sticks to a statement). */
    private readonly arrays: () => NativeStatementLike,
  ) {}
  run(params?: SqlParams): RunResult {
    return { changes: Number(this.stmt.run(...bind(params)).changes) };
  }
  all<T = Row>(params?: SqlParams): T[] {
    return this.stmt.all(...bind(params)) as T[];
  }
  get<T = Row>(params?: SqlParams): T | undefined {
    return this.stmt.get(...bind(params)) as T | undefined;
  }
  iterate<T = Row>(params?: SqlParams): IterableIterator<T> {
    return this.stmt.iterate(...bind(params)) as IterableIterator<T>;
  }
  iterateArrays(params?: SqlParams): IterableIterator<unknown[]> {
    return this.arrays().iterate(...bind(params)) as IterableIterator<unknown[]>;
  }
  columns(): string[] {
    return this.columnNames();
  }
}
