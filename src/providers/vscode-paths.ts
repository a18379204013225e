import { join, resolve } from 'node:path';
import type { ProviderEnvironment } from './types.js';

/** `<AppData>/<app>` for VS Code–family apps: ~/.config (Linux), ~/Library/Application Support (macOS), %APPDATA% (Windows). */
export function vscodeAppDirs({ env, home }: ProviderEnvironment, apps: readonly string[]): string[] {
  const base =
    process.platform === 'darwin'
      ? join(home, 'Library', 'Application Support')
      : process.platform === 'win32'
        ? (env.APPDATA ?? join(home, 'AppData', 'Roaming'))
        : env.XDG_CONFIG_HOME || join(home, '.config');
  return apps.map((app) => resolve(base, app));
}
