import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import Bundled from 'better-sqlite3';
import bundledPackage from 'better-sqlite3/package.json' with { type: 'json' };
import type { BetterSqlite3Package } from './better-sqlite3-package.js';

/**
 * The CLI bundles' better-sqlite3 (scripts/build-cli.mjs puts this module in place of
 * better-sqlite3-package.ts): its JavaScript compiled into the bundle, with V8's code cache, and
 * its addon named by path. Loading the package from node_modules — fourteen files compiled without
 * a cache, and `bindings` searching for the addon — took ~9 ms of every run.
 *
 * The JavaScript and the addon must come from the same release: the bundle's is used only when the
 * installed package is the version it was built from and its addon is where a build puts it;
 * otherwise the package is loaded as installed.
 */
export function loadBetterSqlite3(): BetterSqlite3Package {
  const require = createRequire(import.meta.url);
  const installed = installedPackage(require);
  return chooseBetterSqlite3(bundledPackage.version, installed, () => require('better-sqlite3'), Bundled);
}

/** The installed package's version and the addon a build of it makes, or null when it cannot be read. */
function installedPackage(require: NodeRequire): { version: string; addon: string | null } | null {
  try {
    const manifest = require.resolve('better-sqlite3/package.json');
    const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
    const addon = join(dirname(manifest), 'build', 'Release', 'better_sqlite3.node');
    return { version, addon: existsSync(addon) ? addon : null };
  } catch {
    return null;
  }
}

/** The bundled JavaScript with the installed addon when they match; else the installed package. */
export function chooseBetterSqlite3(
  bundledVersion: string,
  installed: { version: string; addon: string | null } | null,
  loadInstalled: () => unknown,
  bundled: BetterSqlite3Package['Database'],
): BetterSqlite3Package {
  if (installed?.addon && installed.version === bundledVersion) return { Database: bundled, nativeBinding: installed.addon };
  return { Database: loadInstalled() as BetterSqlite3Package['Database'] };
}
