import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Once per test run: the real transcripts in ../shared/fixtures/sessions are a sibling of the
 * project, not part of it. Without them the tests that read them skip — said here in one line —
 * except in CI (CI=true), where they must be present and their absence fails the run.
 */
export default function setup(): void {
  const fixtures = fileURLToPath(new URL('../../../shared/fixtures/sessions/', import.meta.url));
  if (existsSync(fixtures)) return;
  if (process.env.CI)
    throw new Error(`CI=true but the real transcripts are missing: ${fixtures} (CI runs with ../shared beside the project)`);
  process.stdout.write(
    `paceflow tests: ${fixtures} not found; the tests that read the real transcripts are skipped (the project's own test/fixtures still cover every parser)\n`,
  );
}
