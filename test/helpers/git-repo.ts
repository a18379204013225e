import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const BASE_TIME = Date.parse('2026-01-05T09:00:00Z') / 1000;
const made: string[] = [];

export function tempDir(prefix = 'paceflow-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Removes every directory the helpers made (call from afterAll). */
export function cleanupTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

export interface CommitOptions {
  author?: string;
  email?: string;
  committer?: string;
  committerEmail?: string;
  allowEmpty?: boolean;
  /** Seconds after the repository's base time; default: one minute after the previous commit. */
  at?: number;
  tz?: string;
}

/** A temporary git repository with a fixed user, branch and clock (DESIGN §8). */
export class TempRepo {
  private clock = 0;

  constructor(readonly dir: string) {}

  static create(options: { branch?: string; dir?: string } = {}): TempRepo {
    const repo = new TempRepo(options.dir ?? tempDir());
    repo.git('init', '-q', '-b', options.branch ?? 'main');
    return repo;
  }

  /** Runs git in the repository; throws with stderr on failure; returns trimmed stdout. */
  git(...args: string[]): string {
    return this.gitRaw(args).toString('utf8').trim();
  }

  gitRaw(args: string[], input?: string | Buffer, env: NodeJS.ProcessEnv = {}): Buffer {
    const when = `${BASE_TIME + this.clock} +0000`;
    const result = spawnSync('git', args, {
      cwd: this.dir,
      input,
      env: { ...process.env, GIT_AUTHOR_DATE: when, GIT_COMMITTER_DATE: when, ...env },
    });
    if (result.status !== 0) {
      throw new Error(`git ${args.join(' ')} failed: ${result.stderr.toString()}`);
    }
    return result.stdout;
  }

  write(path: string | Buffer, content: string | Buffer): this {
    const full = Buffer.isBuffer(path) ? Buffer.concat([Buffer.from(`${this.dir}/`), path]) : join(this.dir, path);
    mkdirSync(dirname(full.toString('latin1')), { recursive: true });
    writeFileSync(full, content);
    return this;
  }

  /** Stages everything and commits; returns the new sha. */
  commit(message: string, options: CommitOptions = {}): string {
    this.clock = options.at ?? this.clock + 60;
    const tz = options.tz ?? '+0000';
    const when = `${BASE_TIME + this.clock} ${tz}`;
    this.gitRaw(['add', '-A']);
    const env: NodeJS.ProcessEnv = { GIT_AUTHOR_DATE: when, GIT_COMMITTER_DATE: when };
    if (options.author) env.GIT_AUTHOR_NAME = options.author;
    if (options.email) env.GIT_AUTHOR_EMAIL = options.email;
    if (options.committer) env.GIT_COMMITTER_NAME = options.committer;
    if (options.committerEmail) env.GIT_COMMITTER_EMAIL = options.committerEmail;
    this.gitRaw(['commit', '-q', '--no-verify', ...(options.allowEmpty ? ['--allow-empty'] : []), '-F', '-'], message, env);
    return this.git('rev-parse', 'HEAD');
  }

  /** Advances the clock and runs git with it (merges, tags). */
  at(seconds?: number): this {
    this.clock = seconds ?? this.clock + 60;
    return this;
  }
}
