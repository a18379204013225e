import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { type PostgresServer, postgresBindir, startPostgres } from './postgres-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The throw-away PostgreSQL cluster of this run (superuser URL), or null when none is installed. */
    postgresUrl: string | null;
  }
}

/**
 * Once per test run: the real transcripts in ../shared/fixtures/sessions are a sibling of the
 * project, not part of it. Without them the tests that read them skip — said here in one line —
 * except in CI (CI=true), where they must be present and their absence fails the run.
 * The same for PostgreSQL: one throw-away cluster serves every warehouse test (each makes its own
 * database in it); without the server binaries those tests skip, except in CI.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const fixtures = fileURLToPath(new URL('../../../shared/fixtures/sessions/', import.meta.url));
  if (!existsSync(fixtures)) {
    if (process.env.CI)
      throw new Error(`CI=true but the real transcripts are missing: ${fixtures} (CI runs with ../shared beside the project)`);
    process.stdout.write(
      `paceflow tests: ${fixtures} not found; the tests that read the real transcripts are skipped (the project's own test/fixtures still cover every parser)\n`,
    );
  }
  let server: PostgresServer | null = null;
  if (postgresBindir()) server = await startPostgres();
  else if (process.env.CI) throw new Error('CI=true but PostgreSQL is not installed (.ci/run installs it with apt-get)');
  else process.stdout.write('paceflow tests: PostgreSQL not installed; the warehouse tests are skipped\n');
  project.provide('postgresUrl', server?.url ?? null);
  return () => server?.stop();
}
