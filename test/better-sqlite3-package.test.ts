import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import Installed from 'better-sqlite3';
import { chooseBetterSqlite3, loadBetterSqlite3 } from '../src/db/better-sqlite3-package.bundled.js';

const require = createRequire(import.meta.url);
const version = (require('better-sqlite3/package.json') as { version: string }).version;

/** A stand-in class for "the bundle's copy" (a test cannot tell two copies of one class apart otherwise). */
class BundledCopy {}
const bundled = BundledCopy as unknown as typeof Installed;

describe('the CLI bundles’ better-sqlite3', () => {
  it.each([
    ['the same release, addon built', '12.1.0', { version: '12.1.0', addon: '/p/build/Release/better_sqlite3.node' }, 'bundled'],
    ['another release installed', '12.1.0', { version: '12.2.0', addon: '/p/build/Release/better_sqlite3.node' }, 'installed'],
    ['no addon where a build puts it', '12.1.0', { version: '12.1.0', addon: null }, 'installed'],
    ['the package not found', '12.1.0', null, 'installed'],
  ] as const)('%s: %s', (_, bundledVersion, installed, expected) => {
    let loaded = 0;
    const choice = chooseBetterSqlite3(
      bundledVersion,
      installed,
      () => {
        loaded++;
        return Installed;
      },
      bundled,
    );
    if (expected === 'bundled') {
      expect(choice).toEqual({ Database: bundled, nativeBinding: installed!.addon });
      expect(loaded).toBe(0);
    } else {
      expect(choice).toEqual({ Database: Installed });
      expect(loaded).toBe(1);
    }
  });

  it('as installed here: the bundled JavaScript with the addon by path, and it opens a database', () => {
    const { Database, nativeBinding } = loadBetterSqlite3();
    expect(nativeBinding).toMatch(/\/node_modules\/better-sqlite3\/build\/Release\/better_sqlite3\.node$/);
    const db = new Database(':memory:', { nativeBinding: nativeBinding! });
    expect(db.prepare('SELECT sqlite_version() AS v').get()).toMatchObject({ v: expect.stringMatching(/^3\./) });
    db.close();
    expect(version).toMatch(/^12\./);
  });
});
