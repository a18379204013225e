import { readFileSync } from 'node:fs';

/** The Action's bundle has no package.json beside it: its build defines the version. */
declare const PACEFLOW_BUNDLED_VERSION: string | undefined;

export function packageVersion(): string {
  if (typeof PACEFLOW_BUNDLED_VERSION === 'string') return PACEFLOW_BUNDLED_VERSION;
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
