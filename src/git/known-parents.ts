/**
 * The parents of commits a run already holds (the commits git's ingest just read, the commits a
 * builder's queue names), to tell without git how tips stand to each other in the usual cases —
 * a tip that moved on by new commits. A walk down from some tips goes through the commits known
 * here and stops at any other: what it reaches is certainly their ancestry; what it cannot reach
 * is left to git.
 */
export class KnownParents {
  private readonly parents = new Map<string, readonly string[]>();
  private full = false;

  /** At most `limit` commits are kept; past it, every walk gives up (git is asked). */
  constructor(private readonly limit = Number.POSITIVE_INFINITY) {}

  add(sha: string, parents: readonly string[]): void {
    if (this.parents.size >= this.limit) this.full = true;
    else this.parents.set(sha, parents);
  }

  /**
   * The commits reached from `from` along known commits' parents (`from` included), and among
   * them those not known here (where the walk stopped); null when more commits were added than kept.
   */
  walk(from: Iterable<string>): { reached: Set<string>; stopped: Set<string> } | null {
    if (this.full) return null;
    const reached = new Set<string>();
    const stopped = new Set<string>();
    const stack = [...from];
    while (stack.length > 0) {
      const sha = stack.pop()!;
      if (reached.has(sha)) continue;
      reached.add(sha);
      const parents = this.parents.get(sha);
      if (parents) stack.push(...parents);
      else stopped.add(sha);
    }
    return { reached, stopped };
  }

  /** True when every one of `targets` is an ancestor-or-self of a tip in `from` by known parents; false: git must say. */
  allReached(from: Iterable<string>, targets: readonly string[]): boolean {
    const walked = this.walk(from);
    return walked !== null && targets.every((t) => walked.reached.has(t));
  }
}
