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

/**
 * Rows read through statements in this process (all, get, iterate, and their array forms): what the work-counting test
 * and the benches read (a build's cost is counted, not only timed). Never reset here.
 */
export const rowsRead = { count: 0 };

/**
 * A statement's rows as the driver iterates them, each counted as it comes. Not a generator: a
 * generator made a result object of its own for every row beside the driver's, and resumed a frame
 * per row (191 MB of the 80k bench history's first run went to those objects). Stopping early
 * (`return`) lets the driver reset the statement, as a generator's `for…of` did.
 */
class CountedRows<T> implements IterableIterator<T> {
  constructor(private readonly rows: IterableIterator<T>) {}

  [Symbol.iterator](): IterableIterator<T> {
    return this;
  }

  next(): IteratorResult<T> {
    const result = this.rows.next();
    if (!result.done) rowsRead.count++;
    return result;
  }

  return(value?: unknown): IteratorResult<T> {
    return this.rows.return?.(value) ?? { done: true, value: undefined };
  }
}

function counted<T>(rows: IterableIterator<T>): IterableIterator<T> {
  return new CountedRows(rows);
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
    const rows = this.stmt.all(...bind(params)) as T[];
    rowsRead.count += rows.length;
    return rows;
  }
  get<T = Row>(params?: SqlParams): T | undefined {
    const row = this.stmt.get(...bind(params)) as T | undefined;
    if (row !== undefined) rowsRead.count++;
    return row;
  }
  iterate<T = Row>(params?: SqlParams): IterableIterator<T> {
    return counted(this.stmt.iterate(...bind(params)) as IterableIterator<T>);
  }
  iterateArrays(params?: SqlParams): IterableIterator<unknown[]> {
    return counted(this.arrays().iterate(...bind(params)) as IterableIterator<unknown[]>);
  }
  allArrays(params?: SqlParams): unknown[][] {
    const rows = this.arrays().all(...bind(params)) as unknown[][];
    rowsRead.count += rows.length;
    return rows;
  }
  columns(): string[] {
    return this.columnNames();
  }
}
