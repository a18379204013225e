/**
 * The few error classes paceflow throws on purpose. They are caught once, at the CLI boundary
 * (src/cli/main.ts), and printed as one line; anything else is a bug and prints its stack.
 */
export class PaceflowError extends Error {
  /** Process exit code the CLI uses for this error. */
  readonly exitCode: number = 1;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A command line that cannot be run as written. */
export class UsageError extends PaceflowError {
  override readonly exitCode = 2;
}

/** A configuration file or flag with a bad value; the message names the key. */
export class ConfigError extends PaceflowError {}

/** The database could not be opened, migrated or written; the message names the file. */
export class DatabaseError extends PaceflowError {}

/** A git command failed, or the directory is not inside a git repository. */
export class GitError extends PaceflowError {
  constructor(
    message: string,
    readonly args: readonly string[] = [],
    readonly stderr = '',
    readonly code: number | null = null,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export class NotAGitRepositoryError extends GitError {}
