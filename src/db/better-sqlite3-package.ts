import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

/** better-sqlite3's Database class, and what to add to its options to open a database. */
export interface BetterSqlite3Package {
  Database: typeof BetterSqlite3;
  /** Where its native addon is, when the caller names it (else the package finds it itself). */
  nativeBinding?: string;
}

/**
 * better-sqlite3 as installed: its JavaScript from node_modules, which finds its own addon (through
 * `bindings`). Loaded when first used, so a bundle that opens databases through node:sqlite (the
 * Action) never needs the native addon. The CLI's bundles replace this module with
 * better-sqlite3-package.bundled.ts (scripts/build-cli.mjs).
 */
export function loadBetterSqlite3(): BetterSqlite3Package {
  return { Database: createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3 };
}
