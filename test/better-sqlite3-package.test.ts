import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import Installed from 'better-sqlite3';
import { chooseBetterSqlite3, loadBetterSqlite3 } from '../src/db/better-sqlite3-package.bundled.js';
import { cleanupTempDirs, tempDir } from './helpers/git-repo.js';

afterAll(cleanupTempDirs);

const ROOT = fileURLToPath(new URL('..', import.meta.url));
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

describe('the CLI bundles’ better-sqlite3, run', () => {
  /**
   * A copy of the package's runnable parts whose node_modules holds every package of the checkout
   * (links) but a better-sqlite3 whose manifest says `version`: what `paceflow sql` requires by name.
   */
  function requiresWith(version: string): { status: number | null; stdout: string; required: string[] } {
    const copy = tempDir('paceflow-package-');
    for (const part of ['bin', 'package.json', 'sql', 'dist']) cpSync(join(ROOT, part), join(copy, part), { recursive: true });
    const modules = join(copy, 'node_modules');
    mkdirSync(join(modules, 'better-sqlite3'), { recursive: true });
    for (const name of readdirSync(join(ROOT, 'node_modules')))
      if (name !== 'better-sqlite3') symlinkSync(join(ROOT, 'node_modules', name), join(modules, name));
    const installed = join(ROOT, 'node_modules', 'better-sqlite3');
    for (const name of readdirSync(installed))
      if (name !== 'package.json') symlinkSync(join(installed, name), join(modules, 'better-sqlite3', name));
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { version: string };
    writeFileSync(join(modules, 'better-sqlite3', 'package.json'), JSON.stringify({ ...manifest, version }));
    const preload = join(copy, 'log-requires.cjs');
    writeFileSync(
      preload,
      `const Module = require('node:module'); const load = Module._load;
Module._load = function (request, ...rest) { process.stderr.write('require ' + request + '\\n'); return load.call(this, request, ...rest); };\n`,
    );
    const r = spawnSync(process.execPath, ['--require', preload, join(copy, 'bin', 'paceflow.js'), 'sql', 'SELECT 1 AS one'], {
      cwd: tempDir(),
      env: { ...process.env, PACEFLOW_HOME: tempDir('paceflow-home-'), PACEFLOW_COMPILE_CACHE: '0' },
      encoding: 'utf8',
    });
    const required = r.stderr
      .split('\n')
      .filter((l) => l.startsWith('require '))
      .map((l) => l.slice('require '.length));
    return { status: r.status, stdout: r.stdout, required };
  }

  it('uses its own JavaScript with the installed addon of the same release, and the installed package for another', () => {
    const same = requiresWith(version);
    expect(same.status).toBe(0);
    expect(same.stdout).toContain('| one |');
    expect(same.required.filter((r) => r === 'better-sqlite3')).toEqual([]);
    expect(same.required.filter((r) => r.endsWith('/build/Release/better_sqlite3.node')).length).toBeGreaterThan(0);

    const other = requiresWith(`${version}-other`);
    expect(other.status).toBe(0);
    expect(other.stdout).toContain('| one |');
    expect(other.required).toContain('better-sqlite3');
    expect(other.required).toContain('bindings');
  });
});
