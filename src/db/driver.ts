/**
 * The small database interface every paceflow module writes to. The CLI uses better-sqlite3;
 * the bundled GitHub Action uses node:sqlite behind the same interface (no native addon).
 */
export type SqlValue = string | number | bigint | Buffer | Uint8Array | null;
export type SqlParams = readonly SqlValue[] | Readonly<Record<string, SqlValue>>;
export type Row = Record<string, unknown>;

export interface RunResult {
  changes: number;
}

export interface Statement {
  run(params?: SqlParams): RunResult;
  all<T = Row>(params?: SqlParams): T[];
  get<T = Row>(params?: SqlParams): T | undefined;
  iterate<T = Row>(params?: SqlParams): IterableIterator<T>;
  /** The same rows as arrays of values in column order: no object per row (bulk reads). */
  iterateArrays(params?: SqlParams): IterableIterator<unknown[]>;
  /** Every row as an array of values in column order (a whole result read at once, no object per row). */
  allArrays(params?: SqlParams): unknown[][];
  /** Column names of the result set, in order (empty for statements that return nothing). */
  columns(): string[];
  /** True when the statement cannot change the database. */
  readonly readonly: boolean;
}

export interface Database {
  readonly path: string;
  readonly readonly: boolean;
  exec(sql: string): void;
  prepare(sql: string): Statement;
  /** Runs `fn` inside BEGIN IMMEDIATE … COMMIT; rolls back and rethrows if it throws. */
  transaction<T>(fn: () => T): T;
  /**
   * The same for work that awaits (streamed git output). Nothing else may use this connection
   * until the promise settles.
   */
  transactionAsync<T>(fn: () => Promise<T>): Promise<T>;
  pragma(sql: string): unknown;
  /** Registers a deterministic scalar SQL function implemented in TypeScript (for builders). */
  defineFunction(name: string, fn: (...args: SqlValue[]) => SqlValue): void;
  close(): void;
}

export interface OpenOptions {
  readonly?: boolean;
  /** Milliseconds to wait for another writer's lock before failing. */
  busyTimeoutMs?: number;
}
