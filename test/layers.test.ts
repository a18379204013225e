import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * Which folder of src/ may import which: the one place the direction is written down (DESIGN §1 and
 * §2; src/README.md explains it). A module imports its own folder and folders of a LOWER rank only;
 * folders of one rank never import each other. Type-only imports count too: they couple as much.
 */
const LAYERS: Readonly<Record<string, number>> = {
  cli: 6, // argument parsing and the error boundary
  action: 5, // the GitHub Action entry
  hooks: 5, // shims, queue, worker, installers
  pipeline: 4, // the one place an update runs
  sync: 4, // the event contract beyond this machine
  report: 3, // reads views, renders; never builds
  builders: 3, // metadata_* + fact_* → event_*
  ingest: 3, // sources → metadata_* + fact_*
  providers: 2, // one module per assistant's files
  git: 2, // the only place git runs
  config: 1,
  db: 1,
  '.': 0, // src/errors.ts, src/format.ts, src/version.ts
};

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** The src/ folder a file belongs to ('.' for files directly in src/). */
function layerOf(file: string): string {
  const parts = relative(SRC, file).split(sep);
  return parts.length === 1 ? '.' : parts[0]!;
}

/** Every relative import of a file: static, type-only, re-exports and import(). */
function importsOf(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/(?:^|\s)(?:import|export)\s[^'";]*?from\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g))
    found.push((m[1] ?? m[2])!);
  return found;
}

describe('layers', () => {
  it('reads static, type-only, re-exported and dynamic imports', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from '../b/b.js';",
      "export { c } from '../c/c.js';",
      "const d = await import('../d/d.js');",
      "import { e } from 'node:fs';",
    ].join('\n');
    expect(importsOf(text)).toEqual(['./a.js', '../b/b.js', '../c/c.js', '../d/d.js']);
  });

  it('every src/ folder has a rank', () => {
    const folders = readdirSync(SRC, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    expect(folders.filter((f) => !(f in LAYERS))).toEqual([]);
  });

  it('no module imports from a folder above it or beside it', () => {
    const violations: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const from = layerOf(file);
      for (const spec of importsOf(readFileSync(file, 'utf8'))) {
        const to = layerOf(resolve(dirname(file), spec));
        if (to !== from && LAYERS[to]! >= LAYERS[from]!) violations.push(`${relative(SRC, file)} imports ${spec} (${from} → ${to})`);
      }
    }
    expect(violations).toEqual([]);
  });
});
