import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('action.yml', () => {
  // GitHub refuses an action whose metadata is not valid YAML; an unquoted "default: x" inside a
  // description made it so once.
  const doc = parseDocument(readFileSync(`${ROOT}/action.yml`, 'utf8'));

  it('is valid YAML', () => {
    expect(doc.errors.map((e) => e.message)).toEqual([]);
  });

  it('runs the committed bundle on node24, and every input says what it is', () => {
    const action = doc.toJS() as { runs: { using: string; main: string }; inputs: Record<string, { description?: unknown }> };
    expect(action.runs.using).toBe('node24');
    expect(existsSync(`${ROOT}/${action.runs.main}`)).toBe(true);
    for (const [name, input] of Object.entries(action.inputs)) expect(typeof input.description, name).toBe('string');
  });
});
