import type { PaceflowConfig } from '../config/config.js';

export type TaskKeyConfig = Pick<PaceflowConfig, 'taskKeyPattern' | 'taskKeyExclusions'>;

/**
 * Finds task keys (DESIGN §4: `ABC-123` by default) in a branch name, PR title, subject or prompt.
 * Keys are upper-cased, so a pattern that admits `abc-123` links it to ABC-123; look-alikes such as
 * CVE-2024-1234, UTF-8, SHA-256 or ISO-8601 are excluded by the configured exclusions.
 */
export class TaskKeyMatcher {
  private readonly pattern: RegExp;
  private readonly exclusions: RegExp[];

  constructor(config: TaskKeyConfig) {
    this.pattern = new RegExp(config.taskKeyPattern, 'g');
    this.exclusions = config.taskKeyExclusions.map((e) => new RegExp(e, 'i'));
  }

  keys(text: string | null | undefined): string[] {
    if (!text) return [];
    const found: string[] = [];
    for (const match of text.matchAll(this.pattern)) {
      const key = match[0].toUpperCase();
      // A version-like tail ("CVE-2024-1234") is judged on the whole token around the match.
      const end = (match.index ?? 0) + match[0].length;
      const token = key + (/^-\d+/.exec(text.slice(end))?.[0] ?? '');
      if (this.exclusions.some((x) => x.test(key) || x.test(token))) continue;
      if (!found.includes(key)) found.push(key);
    }
    return found;
  }
}

/** The branch a merge commit's subject names, if any (`Merge branch 'x'`, `Merge pull request #1 from o/x`). */
export function mergedBranchName(subject: string): string | null {
  const patterns = [
    /^Merge pull request #\d+ from [^/\s]+\/(\S+)/,
    /^Merge (?:remote-tracking )?branch '(?:origin\/)?([^']+)'/,
    /^Merge branch "([^"]+)"/,
    /^Merged? in (\S+) \(pull request #\d+\)/,
  ];
  for (const p of patterns) {
    const m = p.exec(subject);
    if (m) return m[1]!;
  }
  return null;
}
