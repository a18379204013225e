import type { Database } from '../../db/driver.js';
import { ShaPlaces } from '../../git/sha-places.js';
import { grown } from '../../git/typed-arrays.js';

/** A reachable commit as the outcome rules read it (metadata_commits' columns they use). */
export interface CommitRow {
  sha: string;
  committed_at: string;
  subject: string;
  /** Loaded by the revert rules, which alone read it (and only where it mentions a revert). */
  message?: string;
  pr_number: number | null;
  is_merge: number;
  /** Its line balance (src/git/line-balance.ts; null: not recorded): the reverse candidates' keys. */
  line_balance: number | null;
}

export const COMMIT_COLUMNS = 'sha, committed_at, subject, pr_number, is_merge, line_balance';

/**
 * Every reachable commit of a repository, as a whole outcome build holds them for its length: one
 * column per field, a commit its place in them. As an object per commit (its row, its own copy of
 * the time as text, its balance boxed) git's own history with its pull requests held 201k of them:
 * ~60 MB, reckoned from a heap snapshot of 194 MB live (session 65), with their map; here the shas (and
 * the subjects, once asked for) stay strings, the rest are typed arrays.
 */
export class CommitColumns {
  private readonly place: ShaPlaces;
  private readonly shas: string[] = [];
  /**
   * Null until a subject is asked for (the revert rules, at the build's end): the content rule,
   * the longest part of a whole build, never reads one (201k subjects, ~13 MB).
   */
  private subjects: string[] | null;
  /** Committer time, ms since the epoch (NaN: not a time). */
  private committed: Float64Array;
  /** The pull request number, -1: none. */
  private pr: Int32Array;
  private merge: Uint8Array;
  /** NaN: not recorded. */
  private balance: Float64Array;
  /** The committer time as text where it is not the ISO form of its ms (never, as paceflow writes it). */
  private readonly oddTimes = new Map<number, string>();

  /**
   * `rows`: COMMIT_COLUMNS' values, about `count` of them (the arrays grow if there are more: a
   * commit written between the count and the read is kept, not dropped). `readSubjects`: where
   * the subjects are read (sha, subject) the first time one is asked for; none: the rows' own are kept.
   */
  constructor(
    rows: Iterable<unknown[]>,
    count: number,
    private readonly readSubjects?: () => Iterable<unknown[]>,
    /** The string to hold for each sha read (one the run holds already), else the row's own. */
    sameString?: (sha: string) => string,
  ) {
    this.subjects = readSubjects ? null : [];
    this.place = new ShaPlaces(count, this.shas);
    this.committed = new Float64Array(count);
    this.pr = new Int32Array(count);
    this.merge = new Uint8Array(count);
    this.balance = new Float64Array(count);
    let i = 0;
    for (const [sha, at, subject, pr, merge, balance] of rows) {
      if (i === this.committed.length) this.grow(Math.max(16, i * 2));
      this.shas.push(sameString ? sameString(sha as string) : (sha as string));
      this.place.add(i);
      this.subjects?.push(subject as string);
      const ms = Date.parse(at as string);
      this.committed[i] = ms;
      if (Number.isNaN(ms) || new Date(ms).toISOString() !== at) this.oddTimes.set(i, at as string);
      this.pr[i] = pr === null ? -1 : (pr as number);
      this.merge[i] = merge as number;
      this.balance[i] = balance === null ? Number.NaN : (balance as number);
      i++;
    }
  }

  private grow(size: number): void {
    this.committed = grown(this.committed, size);
    this.pr = grown(this.pr, size);
    this.merge = grown(this.merge, size);
    this.balance = grown(this.balance, size);
  }

  /** Every reachable commit of the repository (COMMIT_COLUMNS, one query); `sameString` as the constructor's. */
  static load(db: Database, repoId: string, sameString?: (sha: string) => string): CommitColumns {
    const count = db
      .prepare(`SELECT count(*) AS n FROM metadata_commits WHERE repo_id = ? AND is_unreachable = 0`)
      .get<{ n: number }>([repoId])!.n;
    // No message: 85k of them cost a build 0.4 s and their memory; the revert rules load the few they read.
    const rows = db
      .prepare(`SELECT ${COMMIT_COLUMNS.replace('subject', 'NULL')} FROM metadata_commits WHERE repo_id = ? AND is_unreachable = 0`)
      .iterateArrays([repoId]);
    return new CommitColumns(
      rows,
      count,
      () => db.prepare(`SELECT sha, subject FROM metadata_commits WHERE repo_id = ? AND is_unreachable = 0`).iterateArrays([repoId]),
      sameString,
    );
  }

  get size(): number {
    return this.shas.length;
  }

  /** The commit's place, or undefined when it is not one of them. */
  indexOf(sha: string): number | undefined {
    return this.place.find(sha);
  }

  /** The string of a commit's sha these columns hold (one per commit for the whole build). */
  sha(i: number): string {
    return this.shas[i]!;
  }

  subject(i: number): string {
    this.subjects ??= this.subjectsRead();
    return this.subjects[i]!;
  }

  private subjectsRead(): string[] {
    const subjects = new Array<string>(this.size).fill('');
    for (const [sha, subject] of this.readSubjects!()) {
      const i = this.place.find(sha as string);
      if (i !== undefined) subjects[i] = subject as string;
    }
    return subjects;
  }

  /** Committer time in ms (NaN: not a time). */
  committedMs(i: number): number {
    return this.committed[i]!;
  }

  prNumber(i: number): number | null {
    const n = this.pr[i]!;
    return n < 0 ? null : n;
  }

  lineBalance(i: number): number | null {
    const b = this.balance[i]!;
    return Number.isNaN(b) ? null : b;
  }

  /** The commit as a row of its own (made when asked: nothing keeps it). */
  row(i: number): CommitRow {
    const ms = this.committed[i]!;
    return {
      sha: this.shas[i]!,
      committed_at: this.oddTimes.get(i) ?? new Date(ms).toISOString(),
      subject: this.subject(i),
      pr_number: this.prNumber(i),
      is_merge: this.merge[i]!,
      line_balance: this.lineBalance(i),
    };
  }
}
