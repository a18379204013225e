import type { PaceflowConfig } from '../config/config.js';
import { KnownParents } from '../git/known-parents.js';
import type { Database } from '../db/driver.js';
import { detectAiCommitter, detectAiMarker, pullRequestNumber } from '../git/commit-markers.js';
import { type BranchWalks, branchesOnlyFrom, countCommits, readCommits, commitsReachableOnlyFrom, type CommitRecord } from '../git/log.js';
import type { PatchRecord } from '../git/patch-record.js';
import type { PatchStore } from '../git/patch-store.js';
import {
  detectMainline,
  earliestRootCommit,
  listRefs,
  locateRepository,
  normalizeRemoteUrl,
  redactRemoteUrl,
  shallowBoundary,
  type Mainline,
  type RefObject,
  type RefTip,
  type RepositoryLocation,
} from '../git/repository.js';
import { GitError } from '../errors.js';
import { refExcluded } from '../git/ref-globs.js';
import { tipsReachingMissingObjects } from '../git/missing-objects.js';
import { runGit } from '../git/run.js';
import { CatFileBatch } from '../git/cat-file.js';
import { type RepositorySettings, readRepositorySettings } from '../git/settings.js';
import { deferForFirstHistory } from './history-queues.js';
import { languageOf } from './language.js';

export interface GitIngestOptions {
  db: Database;
  cwd: string;
  /** The repository at cwd, when the caller located it already. */
  location?: RepositoryLocation;
  config: Pick<PaceflowConfig, 'mainline'> & Partial<Pick<PaceflowConfig, 'refs'>>;
  /** Called with the number of commits read so far. */
  onProgress?: (commitsRead: number) => void;
  /** When given, git also counts the commits to read (one more walk), for a progress bar. */
  onTotal?: (commitsToRead: number) => void;
  now?: () => Date;
  /**
   * Where the new commits' diffs go for the builders (the run's store): the history is then read
   * with each commit's patch (one `git log` for the counts and the diffs, where attribution read
   * every new commit's diff again), and the patch-ids come with it. Not in a shallow clone: its
   * boundary commits' diffs are the whole tree, and nothing reads them.
   */
  patches?: PatchStore;
  /** The run's branch walks: the orphan check's walk is kept there for the builders. */
  walks?: BranchWalks;
}

export interface GitIngestResult {
  repoId: string | null;
  root: string;
  mainline: Mainline | null;
  isShallow: boolean;
  /** Commits git walked this run (0 when no ref moved). */
  commitsRead: number;
  commitsAdded: number;
  fileChangesAdded: number;
  refs: number;
  /** Refs whose history git could not read this run: skipped (and tried again next run). */
  unreadableRefs: RefProblem[];
  /** Branches that share no history with mainline (reported; their commits are read). */
  orphanRefs: RefProblem[];
  /** Refs left out by refs.exclude / --exclude-ref. */
  excludedRefs: number;
  /** The notes refs' tips, listed with the refs (ingestNotes reads them without another git process). */
  notesTips: ReadonlyMap<string, string>;
  /** The repository's settings as this run read them (the notes write takes its answers from here). */
  settings: RepositorySettings;
}

export interface RefProblem {
  ref: string;
  /** The object git named as missing, when it did. */
  object: string | null;
  reason: string;
}

export interface RepositoryIdentity {
  location: RepositoryLocation;
  repoId: string | null;
  /** How repo_id was found: the origin URL, or the earliest root commit. */
  idSource: 'remote' | 'root_commit' | null;
  remoteUrl: string | null;
  /** The settings read beside the refs (one `git config` process): the origin's URL among them. */
  settings: RepositorySettings;
  tips: RefTip[];
  /** origin/HEAD's branch and the notes refs' tips, from the same listing as `tips`. */
  originHead: string | null;
  notes: Map<string, string>;
  /** The listed refs' objects (see listRefs), those the database knew before, and the refs whose object this clone lacks. */
  refObjects: Map<string, RefObject>;
  knownRefObjects: ReadonlyMap<string, RefObject>;
  missingRefs: { ref: string; object: string; reason: string }[];
}

/**
 * The repository at `cwd` and its stable id: the normalized origin URL, else the earliest root
 * commit (a shallow clone's cut-off commits are not roots). Without a remote, an id already
 * recorded for the same work tree is kept, so that rewriting or deepening history does not split
 * one repository into two.
 */
export async function identifyRepository(cwd: string, db?: Database, located?: RepositoryLocation): Promise<RepositoryIdentity> {
  // A caller that located the repository already saves a git process.
  const location = located ?? (await locateRepository(cwd));
  const knownObjects = db ? knownRefObjects(db, location.root) : new Map<string, RefObject>();
  const [refs, settings] = await Promise.all([
    listRefs(location.root, location.head, db ? knownObject(db, location.root, knownObjects) : (sha) => knownObjects.get(sha)),
    readRepositorySettings(location.root),
  ]);
  const { tips } = refs;
  const origin = settings.originUrl;
  const normalized = origin ? normalizeRemoteUrl(origin) : null;
  const base = {
    location,
    remoteUrl: origin ? redactRemoteUrl(origin) : null,
    settings,
    tips,
    originHead: refs.originHead,
    notes: refs.notes,
    refObjects: refs.objects,
    knownRefObjects: knownObjects,
    missingRefs: refs.missing,
  };
  if (normalized) return { ...base, repoId: normalized, idSource: 'remote' };
  const known = db
    ?.prepare(`SELECT repo_id FROM metadata_repositories WHERE root_path = ? AND instr(repo_id, '/') = 0`)
    .get<{ repo_id: string }>([location.root]);
  if (known) return { ...base, repoId: known.repo_id, idSource: 'root_commit' };
  const root = await earliestRootCommit(location.root, tips, shallowBoundary(location));
  return { ...base, repoId: root, idSource: root ? 'root_commit' : null };
}

function statements(db: Database) {
  return {
    repository: db.prepare(`
      INSERT INTO metadata_repositories
        (repo_id, root_path, remote_url, mainline_branch, mainline_source, is_shallow, first_seen_at, last_ingested_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (repo_id) DO UPDATE SET
        root_path = excluded.root_path, remote_url = excluded.remote_url,
        mainline_branch = excluded.mainline_branch, mainline_source = excluded.mainline_source,
        is_shallow = excluded.is_shallow, last_ingested_at = excluded.last_ingested_at`),
    commit: db.prepare(`
      INSERT OR IGNORE INTO metadata_commits
        (repo_id, sha, parent_shas, parent_count, author_name, author_email, authored_at, author_tz,
         committer_name, committer_email, committed_at, committer_tz, subject, message,
         is_merge, is_root, is_shallow_boundary, ai_marker, ai_marker_source, pr_number, ai_committed_by, line_balance)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    change: db.prepare(`
      INSERT INTO metadata_commit_file_changes
        (repo_id, sha, path, old_path, change_type, similarity, added_lines, deleted_lines, is_binary, blob)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    file: db.prepare(`
      INSERT INTO metadata_files (repo_id, path, first_seen_commit, first_seen_at, language)
      VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (repo_id, path) DO UPDATE SET
        first_seen_commit = excluded.first_seen_commit, first_seen_at = excluded.first_seen_at
      WHERE (excluded.first_seen_at, excluded.first_seen_commit)
          < (metadata_files.first_seen_at, metadata_files.first_seen_commit)`),
    boundaryCommits: db.prepare(`SELECT sha FROM metadata_commits WHERE repo_id = ? AND is_shallow_boundary = 1`),
    anyCommit: db.prepare(`SELECT 1 AS x FROM metadata_commits WHERE repo_id = ? LIMIT 1`),
    dropBoundary: db.prepare(`
      DELETE FROM metadata_commit_file_changes WHERE repo_id = ? AND sha IN
        (SELECT sha FROM metadata_commits WHERE repo_id = ? AND is_shallow_boundary = 1)`),
    dropBoundaryCommits: db.prepare(`DELETE FROM metadata_commits WHERE repo_id = ? AND is_shallow_boundary = 1`),
    deleteTip: db.prepare(`DELETE FROM fact_git_ref_tips WHERE repo_id = ? AND ref_name = ?`),
    unreachable: db.prepare(`UPDATE metadata_commits SET is_unreachable = 1 WHERE repo_id = ? AND sha = ?`),
    reachable: db.prepare(`UPDATE metadata_commits SET is_unreachable = 0 WHERE repo_id = ? AND sha = ? AND is_unreachable = 1`),
    tip: db.prepare(`INSERT INTO fact_git_ref_tips (repo_id, ref_name, sha, ingested_at) VALUES (?, ?, ?, ?)`),
    branches: db.prepare(`SELECT name, is_remote, is_mainline, head_sha, is_present FROM metadata_branches WHERE repo_id = ?`),
    branchGone: db.prepare(`UPDATE metadata_branches SET is_present = 0 WHERE repo_id = ? AND name = ?`),
    branch: db.prepare(`
      INSERT INTO metadata_branches
        (repo_id, name, is_remote, is_mainline, head_sha, is_present, first_seen_at, last_seen_at)
      VALUES (?, ?, ?, ?, ?, 1, ?, ?)
      ON CONFLICT (repo_id, name) DO UPDATE SET
        is_remote = excluded.is_remote, is_mainline = excluded.is_mainline, head_sha = excluded.head_sha,
        is_present = 1, last_seen_at = excluded.last_seen_at`),
  };
}

/** Short branch names of the refs that are branches: 'main', 'origin/main'. */
function branchOf(ref: RefTip): { name: string; isRemote: boolean } | null {
  if (ref.name.startsWith('refs/heads/')) return { name: ref.name.slice(11), isRemote: false };
  if (ref.name.startsWith('refs/remotes/')) return { name: ref.name.slice(13), isRemote: true };
  return null;
}

/**
 * Records the repository's git history: commits of every branch, remote-tracking branch and tag
 * not yet recorded, their file changes, the files, the branches and the ref tips that serve as
 * the watermark. One BEGIN IMMEDIATE transaction: a failed run leaves the database unchanged.
 */
export async function ingestGit(options: GitIngestOptions): Promise<GitIngestResult> {
  const { db } = options;
  const now = (options.now ?? (() => new Date()))().toISOString();
  const located = options.location ?? (await locateRepository(options.cwd));
  const identity = await identifyRepository(options.cwd, db, located);
  const { location, repoId } = identity;
  const excludes = options.config.refs?.exclude ?? [];
  const tips = identity.tips.filter((t) => !refExcluded(t.name, excludes));
  const root = location.root;
  const mainline = await detectMainline(root, tips, options.config.mainline, Promise.resolve(identity.originHead));
  const result: GitIngestResult = {
    repoId,
    root,
    mainline,
    isShallow: location.isShallow,
    commitsRead: 0,
    commitsAdded: 0,
    fileChangesAdded: 0,
    refs: tips.length,
    unreadableRefs: [],
    orphanRefs: [],
    excludedRefs: identity.tips.length - tips.length,
    notesTips: identity.notes,
    settings: identity.settings,
  };
  if (!repoId) return result;
  const previousTips = recordedTips(db, repoId);
  // A ref whose object this clone lacks is skipped like one whose history git cannot read, and
  // keeps the tip recorded before.
  const missing = identity.missingRefs.filter((m) => !refExcluded(m.ref, excludes));
  if (missing.length > 0) {
    for (const m of missing) {
      result.unreadableRefs.push({ ref: m.ref, object: m.object, reason: m.reason });
      const sha = previousTips.get(m.ref);
      if (sha) tips.push({ name: m.ref, sha });
    }
    result.refs = tips.length;
  }

  const sql = statements(db);
  const boundary = shallowBoundary(location);
  // After a clone is deepened or unshallowed, the old boundary commits were recorded without
  // their parents: drop them and walk everything again so they are recorded whole.
  const recordedBoundary = sql.boundaryCommits.all<{ sha: string }>([repoId]).map((r) => r.sha);
  const rewalk =
    recordedBoundary.length > 0 && (recordedBoundary.length !== boundary.size || recordedBoundary.some((sha) => !boundary.has(sha)));
  const recorded = rewalk ? new Set<string>() : new Set(previousTips.values());
  const include = [...new Set(tips.map((t) => t.sha))].filter((sha) => !recorded.has(sha));
  // Orphans are looked for among branches new since the last run only: a commit on an existing
  // branch (what the hooks' worker sees) costs no git process here.
  const fresh = rewalk ? tips : tips.filter((t) => !previousTips.has(t.name));
  result.orphanRefs = await orphanBranches(tips, fresh, mainline, root, options.walks);
  const orphanChecked = new Set(fresh.map((t) => t.name));

  if (options.onTotal && include.length > 0) {
    const onTotal = options.onTotal;
    countCommits(include, [...recorded], { cwd: root }).then(onTotal, () => undefined);
  }
  const previous = db
    .prepare(`SELECT root_path, mainline_branch FROM metadata_repositories WHERE repo_id = ?`)
    .get<{ root_path: string; mainline_branch: string | null }>([repoId]);
  const write: HistoryWrite = {
    db,
    sql,
    repoId,
    root,
    identity,
    mainline,
    boundary,
    recorded,
    rewalk,
    now,
    options,
    result,
    orphanChecked,
    previousTips,
    previousRoot: previous?.root_path ?? null,
    previousMainline: previous?.mainline_branch ?? null,
  };
  try {
    await writeHistory(write, tips);
  } catch (error) {
    // One unreadable object (a partial or damaged clone) must not lose the whole run: the refs
    // whose history cannot be read are found, left out, recorded, and tried again next run.
    if (!isUnreadableHistory(error)) throw error;
    await writeReadableHistory(write, tips, include, error);
  }
  rememberRefObjects(db, repoId, identity);
  return result;
}

/**
 * After the history's pass failed on an object git cannot read (a partial or damaged clone), so
 * that one such object does not lose the whole run: the refs whose history cannot be read are
 * found, left out, recorded (result.unreadableRefs), and tried again next run; the rest is written.
 * The tips that reach a missing object are walked one by one first (the others taken as
 * readable); should the others' history still fail, every tip is.
 */
async function writeReadableHistory(
  write: HistoryWrite,
  tips: readonly RefTip[],
  include: readonly string[],
  error: GitError,
): Promise<void> {
  const { result, root, previousTips } = write;
  const recorded = [...write.recorded];
  const narrowed = await tipsReachingMissingObjects(include, recorded, root);
  const problemsBefore = result.unreadableRefs.length;
  for (const candidates of narrowed ? [[...narrowed], include] : [include]) {
    const bad = await unreadableTips(candidates, recorded, root);
    if (bad.size === 0) {
      if (candidates === include) throw error;
      continue;
    }
    result.unreadableRefs.length = problemsBefore;
    result.unreadableRefs.push(...tips.filter((t) => bad.has(t.sha)).map((t) => ({ ref: t.name, ...bad.get(t.sha)! })));
    result.commitsRead = result.commitsAdded = result.fileChangesAdded = 0;
    // A skipped ref keeps the tip recorded before (its history up to there was read): its branch
    // stays present, its commits reachable, and the next run walks from there again.
    const kept = tips.flatMap((t) => {
      const previous = previousTips.get(t.name);
      return !bad.has(t.sha) ? [t] : previous ? [{ name: t.name, sha: previous }] : [];
    });
    result.refs = kept.length;
    try {
      await writeHistory(write, kept);
      return;
    } catch (again) {
      if (candidates === include || !isUnreadableHistory(again)) throw again;
    }
  }
}

/** The branch rows of `tips` that differ from those recorded (new, moved, back, or now mainline or not), and those gone. */
function writeBranches(
  sql: ReturnType<typeof statements>,
  repoId: string,
  tips: readonly RefTip[],
  mainline: Mainline | null,
  now: string,
): void {
  const recorded = new Map(
    sql.branches
      .all<{ name: string; is_remote: number; is_mainline: number; head_sha: string; is_present: number }>([repoId])
      .map((r) => [r.name, r]),
  );
  const present = new Set<string>();
  for (const tip of tips) {
    const branch = branchOf(tip);
    if (!branch) continue;
    present.add(branch.name);
    const isMainline = mainline !== null && (branch.name === mainline.branch || branch.name === `origin/${mainline.branch}`);
    const row = recorded.get(branch.name);
    const same =
      row?.is_present === 1 &&
      row.head_sha === tip.sha &&
      row.is_remote === (branch.isRemote ? 1 : 0) &&
      row.is_mainline === (isMainline ? 1 : 0);
    if (!same) sql.branch.run([repoId, branch.name, branch.isRemote ? 1 : 0, isMainline ? 1 : 0, tip.sha, now, now]);
  }
  for (const row of recorded.values()) if (row.is_present === 1 && !present.has(row.name)) sql.branchGone.run([repoId, row.name]);
}

/** The tip each ref had when last recorded. */
function recordedTips(db: Database, repoId: string): Map<string, string> {
  return new Map(
    db
      .prepare(`SELECT ref_name, sha FROM fact_git_ref_tips WHERE repo_id = ?`)
      .all<{ ref_name: string; sha: string }>([repoId])
      .map((r) => [r.ref_name, r.sha]),
  );
}

/** The objects the refs of the repository recorded at this work tree named when last listed (listRefs' `known`). */
function knownRefObjects(db: Database, root: string): Map<string, RefObject> {
  const rows = db
    .prepare(`
      SELECT o.sha, o.object_type, o.peeled_sha, o.peeled_type
      FROM paceflow_ref_objects o JOIN metadata_repositories r ON r.repo_id = o.repo_id
      WHERE r.root_path = ?`)
    .all<{ sha: string; object_type: string; peeled_sha: string; peeled_type: string }>([root]);
  return new Map(rows.map((r) => [r.sha, { type: r.object_type, peeled: r.peeled_sha, peeledType: r.peeled_type }]));
}

/**
 * What the database knows of an object a ref names: its row from the last listing, else a commit
 * recorded in the repository at this work tree (a new branch at an old commit asks git nothing).
 */
function knownObject(db: Database, root: string, listed: ReadonlyMap<string, RefObject>): (sha: string) => RefObject | undefined {
  const recorded = db.prepare(`
    SELECT 1 AS x FROM metadata_commits
    WHERE repo_id IN (SELECT repo_id FROM metadata_repositories WHERE root_path = ?) AND sha = ?`);
  return (sha) =>
    listed.get(sha) ?? (recorded.get([root, sha]) !== undefined ? { type: 'commit', peeled: sha, peeledType: 'commit' } : undefined);
}

/**
 * Keeps the objects this run's listing named for the next run, and forgets those no ref names any
 * more; writes nothing when the refs named the same objects as before (a run with nothing new).
 * What was known is read by work tree: after a run in another clone of the repository (another
 * root, the same id) nothing was, so the repository's rows are compared, and that clone's own
 * objects go (they cannot pile up while two clones take turns).
 */
function rememberRefObjects(db: Database, repoId: string, identity: RepositoryIdentity): void {
  const { refObjects: listed, knownRefObjects: known } = identity;
  const added = [...listed].filter(([sha]) => !known.has(sha));
  if (added.length === 0 && [...known.keys()].every((sha) => listed.has(sha))) return;
  db.transaction(() => {
    const stored = db.prepare(`SELECT sha FROM paceflow_ref_objects WHERE repo_id = ?`).all<{ sha: string }>([repoId]);
    const forget = db.prepare(`DELETE FROM paceflow_ref_objects WHERE repo_id = ? AND sha = ?`);
    for (const { sha } of stored) if (!listed.has(sha)) forget.run([repoId, sha]);
    const keep = db.prepare(
      `INSERT OR REPLACE INTO paceflow_ref_objects (repo_id, sha, object_type, peeled_sha, peeled_type) VALUES (?, ?, ?, ?, ?)`,
    );
    for (const [sha, o] of added) keep.run([repoId, sha, o.type, o.peeled, o.peeledType]);
  });
}

interface HistoryWrite {
  db: Database;
  sql: ReturnType<typeof statements>;
  repoId: string;
  root: string;
  identity: RepositoryIdentity;
  mainline: Mainline | null;
  boundary: Set<string>;
  recorded: Set<string>;
  rewalk: boolean;
  /** The refs whose orphan status this run checked (new since the last run). */
  orphanChecked: ReadonlySet<string>;
  /** Each ref's tip as recorded before this run. */
  previousTips: ReadonlyMap<string, string>;
  /** The work tree the repository was last recorded from (null: never). */
  previousRoot: string | null;
  /** The mainline branch recorded before this run (null: none, or never recorded). */
  previousMainline: string | null;
  now: string;
  options: GitIngestOptions;
  result: GitIngestResult;
}

/** How many commits' parents git's ingest keeps to place gone tips without git: a hooks' run reads a few; a fetch, hundreds. */
const READ_PARENTS_LIMIT = 50_000;

/** The history of `tips` not yet recorded, and the tips themselves, in one transaction. */
async function writeHistory(w: HistoryWrite, tips: readonly RefTip[]): Promise<void> {
  const { db, sql, repoId, root, identity, mainline, boundary, recorded, now, result } = w;
  const include = [...new Set(tips.map((t) => t.sha))].filter((sha) => !recorded.has(sha));
  await db.transactionAsync(async () => {
    sql.repository.run([
      repoId,
      root,
      identity.remoteUrl,
      mainline?.branch ?? null,
      mainline?.source ?? null,
      w.identity.location.isShallow ? 1 : 0,
      now,
      now,
    ]);
    if (w.rewalk) {
      sql.dropBoundary.run([repoId, repoId]);
      sql.dropBoundaryCommits.run([repoId]);
    }
    // A repository's first history queues its commits for the builders, and indexes them, once they are written.
    const finishFirstHistory =
      w.previousTips.size === 0 && !w.rewalk && sql.anyCommit.get([repoId]) === undefined ? deferForFirstHistory(db, repoId) : null;
    const firstSeen = new Map<string, { sha: string; at: string }>();
    // Tips recorded before that no ref holds now (a branch moved on, an amend, a rewrite): the
    // commits only they reached became unreachable. The parents of the commits read now show the
    // usual case without git — each gone tip a parent of a new commit (a commit, a fast-forward).
    const currentTips = new Set(tips.map((t) => t.sha));
    const gone = [...recorded].filter((sha) => !currentTips.has(sha));
    const walked = gone.length > 0 ? new KnownParents(READ_PARENTS_LIMIT) : null;
    const store = w.options.patches && !w.identity.location.isShallow ? w.options.patches : null;
    const withPatches = store
      ? {
          onPatch: (record: PatchRecord) => store.keepRecord(record),
          ...(store.countedLines ? { counted: store.countedLines.bytes } : {}),
          onPatchIds: (ids: Map<string, string>) => store.settlePatchIds(ids),
        }
      : {};
    // A first history's pass, or a whole one after unshallowing, is a run's largest output: git
    // writes it in pipe-sized pieces.
    const largeWrites = finishFirstHistory !== null || w.rewalk;
    for await (const batch of readCommits(include, [...recorded], { cwd: root, largeWrites, ...withPatches })) {
      for (const commit of batch) {
        result.commitsRead++;
        walked?.add(commit.sha, commit.parents);
        if (!writeCommit(sql, repoId, commit, boundary)) {
          sql.reachable.run([repoId, commit.sha]);
          continue;
        }
        result.commitsAdded++;
        if (boundary.has(commit.sha)) continue;
        result.fileChangesAdded += commit.changes.length;
        for (const change of commit.changes) {
          const seen = firstSeen.get(change.path);
          const at = commit.committer.at;
          if (!seen || at < seen.at || (at === seen.at && commit.sha < seen.sha)) {
            firstSeen.set(change.path, { sha: commit.sha, at });
          }
        }
      }
      w.options.onProgress?.(result.commitsRead);
    }
    for (const [path, seen] of firstSeen) sql.file.run([repoId, path, seen.sha, seen.at, languageOf(path)]);
    finishFirstHistory?.();

    // Commits the old tips reached and the new ones do not: rewritten or deleted history. None
    // when every gone tip is an ancestor of a current one through the commits just read.
    if (gone.length > 0) {
      const left = walked?.allReached(currentTips, gone) ? [] : await commitsReachableOnlyFrom(gone, [...currentTips], root);
      for (const sha of left) sql.unreachable.run([repoId, sha]);
      // Tips another clone of the repository recorded (it shares the database and the id): what
      // only it has is out of this clone's reach — git here cannot read it, and builders must not ask.
      if (w.previousRoot !== null && w.previousRoot !== root) {
        for (const sha of await commitsOnlyElsewhere(db, repoId, gone, root)) sql.unreachable.run([repoId, sha]);
      }
    }
    // Only the tips and branches that changed are written: a run with nothing new wrote every
    // ref's two rows again (git's own history: 2,036 rows, ~10 ms, and their pages checkpointed).
    const current = new Map(tips.map((t) => [t.name, t.sha]));
    let moved = current.size !== w.previousTips.size;
    for (const [name, sha] of w.previousTips) {
      if (current.get(name) === sha) continue;
      sql.deleteTip.run([repoId, name]);
      moved = true;
    }
    for (const tip of tips) if (w.previousTips.get(tip.name) !== tip.sha) sql.tip.run([repoId, tip.name, tip.sha, now]);
    // The branch rows follow the tips and mainline, and were written with them: the same, they are.
    if (moved || (mainline?.branch ?? null) !== w.previousMainline) writeBranches(sql, repoId, tips, mainline, now);
    recordRefProblems(db, repoId, result, tips, w.orphanChecked, now);
  });
}

/**
 * The recorded commits reachable from `tips` that this clone does not have, walking the recorded
 * parents from the tips until a commit git here has: another clone's own commits (two clones of
 * one repository share its id and the database).
 */
async function commitsOnlyElsewhere(db: Database, repoId: string, tips: readonly string[], root: string): Promise<string[]> {
  const parentsOf = db.prepare(`SELECT parent_shas FROM metadata_commits WHERE repo_id = ? AND sha = ?`);
  const batch = new CatFileBatch(root);
  const missing: string[] = [];
  const seen = new Set<string>();
  try {
    let frontier = [...tips];
    while (frontier.length > 0) {
      const fresh = [...new Set(frontier)].filter((sha) => !seen.has(sha));
      for (const sha of fresh) seen.add(sha);
      // One level of the walk asked at once (a commit's content is a few hundred bytes).
      const here = await Promise.all(fresh.map((sha) => batch.read(sha, () => true)));
      frontier = [];
      fresh.forEach((sha, i) => {
        if (here[i] !== null) return;
        missing.push(sha);
        const parents = parentsOf.get<{ parent_shas: string }>([repoId, sha])?.parent_shas;
        if (parents) frontier.push(...parents.split(' '));
      });
    }
  } finally {
    batch.close();
  }
  return missing;
}

/** git's ways of saying an object it needs is not there (a partial clone, a damaged repository). */
const UNREADABLE =
  /unable to read|bad object|missing (?:blob|tree|commit)|could not read|bad tree object|did not receive expected object|is corrupt|invalid object|promisor remote/i;

function isUnreadableHistory(error: unknown): error is GitError {
  return error instanceof GitError && UNREADABLE.test(error.stderr || error.message);
}

/** Which of these tips' new history git cannot read, each with the object and git's complaint. */
async function unreadableTips(
  include: readonly string[],
  recorded: readonly string[],
  root: string,
): Promise<Map<string, { object: string | null; reason: string }>> {
  const bad = new Map<string, { object: string | null; reason: string }>();
  for (const sha of include) {
    try {
      for await (const _batch of readCommits([sha], recorded, { cwd: root })) {
        // read to the end: only git's exit says whether every object was there
      }
    } catch (error) {
      if (!isUnreadableHistory(error)) throw error;
      bad.set(sha, { object: /\b([0-9a-f]{40}|[0-9a-f]{64})\b/.exec(error.stderr || error.message)?.[1] ?? null, reason: error.message });
    }
  }
  return bad;
}

/** Branches (tips that moved this run) with no commit in common with mainline: a tool's data branch, say. */
async function orphanBranches(
  tips: readonly RefTip[],
  fresh: readonly RefTip[],
  mainline: Mainline | null,
  root: string,
  walks: BranchWalks | undefined,
): Promise<RefProblem[]> {
  if (!mainline) return [];
  const mainTip = tips.find((t) => t.name === `refs/heads/${mainline.branch}` || t.name === `refs/remotes/origin/${mainline.branch}`)?.sha;
  if (!mainTip) return [];
  const orphans: RefProblem[] = [];
  const branches = fresh.filter((tip) => tip.sha !== mainTip && branchOf(tip));
  // Every branch's commits off mainline from one `git rev-list --parents` (a first run has hundreds
  // of refs: a `git merge-base` each cost 7.7 s of CPU on the 20k bench history): a branch whose own
  // commits never leave them for mainline's history has no merge base with it. Every new ref's,
  // tags too: the outcome build's first run asks for every ref's off the same tip, and the run's
  // walks answer it from this one (git's own history: a second walk, 0.8 s of git's CPU). A failed
  // read (a missing object) tries the branches alone, then asks git per branch.
  const branchHeads = [...new Set(branches.map((t) => t.sha))];
  const walked =
    branches.length > 1
      ? await branchesOnlyFrom([...new Set(fresh.filter((t) => t.sha !== mainTip).map((t) => t.sha))], [mainTip], root, walks)
          .catch(() => branchesOnlyFrom(branchHeads, [mainTip], root))
          .catch(() => null)
      : null;
  for (const tip of branches) {
    const own = walked?.get(tip.sha);
    const orphan = own
      ? own.own.length > 0 && own.leaves.size === 0
      : (await runGit(['merge-base', mainTip, tip.sha], { cwd: root, okCodes: [1] })).code === 1;
    if (orphan)
      orphans.push({
        ref: tip.name,
        object: null,
        reason: `shares no history with ${mainline.branch} (an orphan branch; refs.exclude leaves it out)`,
      });
  }
  return orphans;
}

/** fact_ref_problems as this run found them: unreadable refs replaced; orphans kept while the ref exists. */
function recordRefProblems(
  db: Database,
  repoId: string,
  result: GitIngestResult,
  tips: readonly RefTip[],
  checked: ReadonlySet<string>,
  now: string,
): void {
  db.prepare(`DELETE FROM fact_ref_problems WHERE repo_id = ? AND kind = 'unreadable'`).run([repoId]);
  const present = new Set(tips.map((t) => t.name));
  for (const row of db.prepare(`SELECT ref_name FROM fact_ref_problems WHERE repo_id = ?`).all<{ ref_name: string }>([repoId])) {
    if (!present.has(row.ref_name))
      db.prepare(`DELETE FROM fact_ref_problems WHERE repo_id = ? AND ref_name = ?`).run([repoId, row.ref_name]);
  }
  const insert = db.prepare(`
    INSERT INTO fact_ref_problems (repo_id, ref_name, kind, object, reason, seen_at) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT (repo_id, ref_name) DO UPDATE SET kind = excluded.kind, object = excluded.object, reason = excluded.reason, seen_at = excluded.seen_at`);
  for (const p of result.unreadableRefs) insert.run([repoId, p.ref, 'unreadable', p.object, p.reason, now]);
  for (const p of result.orphanRefs) insert.run([repoId, p.ref, 'orphan', null, p.reason, now]);
  // A ref checked this run and found to be no orphan loses any orphan row (its name was reused).
  const orphans = new Set(result.orphanRefs.map((p) => p.ref));
  const forget = db.prepare(`DELETE FROM fact_ref_problems WHERE repo_id = ? AND ref_name = ? AND kind = 'orphan'`);
  for (const tip of tips) if (!orphans.has(tip.name) && checked.has(tip.name)) forget.run([repoId, tip.name]);
}

/** Writes one commit and its file changes; false when it was already recorded. */
function writeCommit(sql: ReturnType<typeof statements>, repoId: string, commit: CommitRecord, boundary: Set<string>): boolean {
  const identity = {
    subject: commit.subject,
    message: commit.message,
    authorName: commit.author.name,
    authorEmail: commit.author.email,
    committerName: commit.committer.name,
    committerEmail: commit.committer.email,
  };
  const marker = detectAiMarker(identity);
  const { changes } = sql.commit.run([
    repoId,
    commit.sha,
    commit.parents.join(' '),
    commit.parents.length,
    commit.author.name,
    commit.author.email,
    commit.author.at,
    commit.author.tz,
    commit.committer.name,
    commit.committer.email,
    commit.committer.at,
    commit.committer.tz,
    commit.subject,
    commit.message,
    commit.parents.length > 1 ? 1 : 0,
    commit.parents.length === 0 ? 1 : 0,
    boundary.has(commit.sha) ? 1 : 0,
    marker?.provider ?? null,
    marker?.source ?? null,
    pullRequestNumber(commit.subject),
    detectAiCommitter(identity),
    boundary.has(commit.sha) ? null : commit.lineBalance,
  ]);
  if (changes === 0) return false;
  // A shallow clone's boundary commit diffs against nothing: its "changes" would be the whole tree.
  if (boundary.has(commit.sha)) return true;
  for (const change of commit.changes) {
    sql.change.run([
      repoId,
      commit.sha,
      change.path,
      change.oldPath,
      change.changeType,
      change.similarity,
      change.addedLines,
      change.deletedLines,
      change.isBinary ? 1 : 0,
      change.blob,
    ]);
  }
  return true;
}
