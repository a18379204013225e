import { spawnSync } from 'node:child_process';
import { generateHistory, writeTranscripts } from '../../bench/synthetic-history.mjs';
import { tempDir } from './git-repo.js';

/** A real-shaped history in a temporary folder, with its sessions' transcripts and git to drive it. */
export interface SyntheticRepo {
  repo: string;
  /** The HOME whose Claude Code folder holds the sessions' transcripts. */
  home: string;
  /** The environment a run reads them with (that HOME, no other Claude folder). */
  env: NodeJS.ProcessEnv;
  /** git in the repository, as a fixed person; its output trimmed, a failure thrown with git's message. */
  git: (...args: string[]) => string;
}

/**
 * bench/synthetic-history.mjs's history (pull requests merged, squashed, rebased or left open,
 * reverts, renames, tags, sessions that wrote a share of its lines), unpacked, with the sessions
 * written as Claude Code transcripts under a HOME of its own. Removed by cleanupTempDirs.
 */
export async function syntheticRepo(options: { commits: number; seed: number }): Promise<SyntheticRepo> {
  const { repo, sessions } = await generateHistory({ dir: tempDir('paceflow-history-'), ...options, repack: false });
  const home = tempDir('paceflow-home-');
  writeTranscripts(sessions, repo, home);
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
  delete env.CLAUDE_CONFIG_DIR;
  const person = {
    GIT_AUTHOR_NAME: 'Bench',
    GIT_AUTHOR_EMAIL: 'b@example.com',
    GIT_COMMITTER_NAME: 'Bench',
    GIT_COMMITTER_EMAIL: 'b@example.com',
  };
  const git = (...args: string[]) => {
    const r = spawnSync('git', args, { cwd: repo, encoding: 'utf8', env: { ...env, ...person } });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  return { repo, home, env, git };
}
