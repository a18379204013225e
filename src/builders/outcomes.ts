import type { PaceflowConfig } from '../config/config.js';
import type { Database } from '../db/driver.js';
import { commitsReachableOnlyFrom } from '../git/log.js';
import { filesAt, mainlineLanding, mergeBase, netDiffPatchId, patchIds } from '../git/mainline.js';
import { readCommitPatches } from '../git/patches.js';
import { blameFile } from '../git/blame.js';
import { isNontrivialLine, normalizeLine } from './lines.js';

/**
 * The outcome builders (DESIGN §4): did each commit reach mainline — and how, and when — and was
 * it reverted later. They fill the mainline and revert columns of event_commit_outcomes, for every
 * commit that has an outcome row (the attribution builder makes those).
 */

type Via = 'ancestor' | 'patch-id' | 'squash' | 'content';

/** Patch-ids from fact_commit_patch_ids, computing (and storing) only the missing ones. */
async function cachedPatchIds(
  db: Database,
  repoId: string,
  shas: readonly string[],
  cwd: string,
  reverse = false,
): Promise<Map<string, string>> {
  const column = reverse ? 'reverse_id' : 'forward_id';
  const known = db.prepare(`SELECT sha, ${column} AS id, has_reverse FROM fact_commit_patch_ids WHERE repo_id = ? AND sha = ?`);
  const ids = new Map<string, string>();
  const missing: string[] = [];
  for (const sha of shas) {
    const row = known.get<{ sha: string; id: string | null; has_reverse: number }>([repoId, sha]);
    if (!row || (reverse && row.has_reverse === 0)) missing.push(sha);
    else if (row.id) ids.set(sha, row.id);
  }
  if (missing.length > 0) {
    const computed = await patchIds(missing, cwd, { reverse });
    const save = reverse
      ? db.prepare(`INSERT INTO fact_commit_patch_ids (repo_id, sha, reverse_id, has_reverse) VALUES (?, ?, ?, 1)
                    ON CONFLICT (repo_id, sha) DO UPDATE SET reverse_id = excluded.reverse_id, has_reverse = 1`)
      : db.prepare(`INSERT INTO fact_commit_patch_ids (repo_id, sha, forward_id) VALUES (?, ?, ?)
                    ON CONFLICT (repo_id, sha) DO UPDATE SET forward_id = excluded.forward_id`);
    db.transaction(() => {
      for (const sha of missing) {
        const id = computed.get(sha) ?? null;
        save.run([repoId, sha, id]);
        if (id) ids.set(sha, id);
      }
    });
  }
  return ids;
}

interface Reached {
  via: Via;
  /** Seconds. */
  at: number;
  /** The mainline commit that carries it (itself, for an ancestor). */
  copy: string;
}

interface CommitRow {
  sha: string;
  committed_at: string;
  subject: string;
  message: string;
  pr_number: number | null;
  is_merge: number;
}

const PR_REF = /(?:^|\/)(?:pull|pulls|pr)\/(\d+)(?:\/(?:head|merge))?$/;
const CONTENT_SHARE = 0.8;

export async function buildOutcomes(options: {
  db: Database;
  repoId: string;
  cwd: string;
  config: Pick<PaceflowConfig, 'revertWindowDays' | 'mergedMinAgeDays'>;
  now?: Date;
}): Promise<{ mainlineTip: string | null; merged: number; reverted: number }> {
  const { db, repoId, cwd, config } = options;
  const now = (options.now ?? new Date()).getTime() / 1000;
  const tipRow = db
    .prepare(
      `SELECT head_sha FROM metadata_branches WHERE repo_id = ? AND is_mainline = 1 AND is_present = 1 ORDER BY is_remote DESC LIMIT 1`,
    )
    .get<{ head_sha: string }>([repoId]);
  if (!tipRow) return { mainlineTip: null, merged: 0, reverted: 0 };
  const tip = tipRow.head_sha;

  // Nothing moved since the last build (same tips, same commits with outcomes): only the windows,
  // which depend on today's date, need refreshing.
  const refs = db
    .prepare(`SELECT ref_name, sha FROM fact_git_ref_tips WHERE repo_id = ? ORDER BY ref_name`)
    .all<{ ref_name: string; sha: string }>([repoId]);
  const outcomeCount = db.prepare(`SELECT count(*) AS n FROM event_commit_outcomes WHERE repo_id = ?`).get<{ n: number }>([repoId])!.n;
  const state = JSON.stringify([tip, refs.map((r) => `${r.ref_name}=${r.sha}`), outcomeCount, config.revertWindowDays]);
  const stateKey = `outcomes_state:${repoId}`;
  const stored = db.prepare(`SELECT value FROM paceflow_meta WHERE key = ?`).get<{ value: string }>([stateKey])?.value;
  const unbuilt = db
    .prepare(`SELECT count(*) AS n FROM event_commit_outcomes WHERE repo_id = ? AND merged_to_mainline IS NULL`)
    .get<{ n: number }>([repoId])!.n;
  if (stored === state && unbuilt === 0) {
    refreshWindows(db, repoId, config, now);
    const counts = db
      .prepare(
        `SELECT coalesce(sum(merged_to_mainline), 0) AS merged, coalesce(sum(reverted_later), 0) AS reverted FROM event_commit_outcomes WHERE repo_id = ?`,
      )
      .get<{ merged: number; reverted: number }>([repoId])!;
    return { mainlineTip: tip, ...counts };
  }

  const commits = db
    .prepare(
      `SELECT sha, committed_at, subject, message, pr_number, is_merge FROM metadata_commits WHERE repo_id = ? AND is_unreachable = 0`,
    )
    .all<CommitRow>([repoId]);
  const bySha = new Map(commits.map((c) => [c.sha, c]));
  const time = (sha: string) => Date.parse(bySha.get(sha)?.committed_at ?? '') / 1000;
  const candidates = db
    .prepare(`SELECT sha FROM event_commit_outcomes WHERE repo_id = ?`)
    .all<{ sha: string }>([repoId])
    .map((r) => r.sha);

  // 1. Ancestors of the mainline tip, each reached when the first-parent commit that brought it in
  //    landed (itself, or the merge that introduced it).
  const reached = new Map<string, Reached>();
  for (const [sha, landing] of await mainlineLanding(tip, cwd)) reached.set(sha, { via: 'ancestor', at: landing.time, copy: sha });
  const onMainline = [...reached.keys()].filter((sha) => bySha.get(sha)?.is_merge === 0);
  let pending = candidates.filter((sha) => !reached.has(sha));

  // 2. Same patch-id as a mainline commit: rebased or cherry-picked copies.
  const mainlineIds = new Map<string, string>(); // patch-id → mainline commit
  if (pending.length > 0) {
    const earliest = pending.reduce((min, sha) => Math.min(min, time(sha)), Infinity); // no spread: 100k+ args overflow the stack
    const recent = onMainline.filter((sha) => time(sha) >= earliest - 1);
    const ids = await cachedPatchIds(db, repoId, recent, cwd);
    for (const sha of recent.sort((a, b) => reached.get(a)!.at - reached.get(b)!.at)) {
      const id = ids.get(sha);
      if (id && !mainlineIds.has(id)) mainlineIds.set(id, sha);
    }
    const candidateIds = await cachedPatchIds(db, repoId, pending, cwd);
    for (const sha of pending) {
      const copy = mainlineIds.get(candidateIds.get(sha) ?? '');
      if (copy) reached.set(sha, { via: 'patch-id', at: reached.get(copy)!.at, copy });
    }
    pending = pending.filter((sha) => !reached.has(sha));
  }

  // 3. Squash: a PR head whose number a mainline subject carries, or a branch whose net diff has
  //    the patch-id of a mainline commit.
  if (pending.length > 0) {
    const pendingSet = new Set(pending);
    const byPr = new Map<number, string>();
    for (const sha of onMainline) {
      const pr = bySha.get(sha)?.pr_number;
      if (pr && !byPr.has(pr)) byPr.set(pr, sha);
    }
    for (const ref of refs) {
      const m = PR_REF.exec(ref.ref_name);
      const copy = m ? byPr.get(Number(m[1])) : undefined;
      if (!copy) continue;
      for (const sha of await commitsReachableOnlyFrom([ref.sha], [tip], cwd)) {
        if (pendingSet.has(sha)) reached.set(sha, { via: 'squash', at: reached.get(copy)!.at, copy });
      }
    }
    const branches = db
      .prepare(`SELECT head_sha FROM metadata_branches WHERE repo_id = ? AND is_present = 1 AND is_mainline = 0`)
      .all<{ head_sha: string }>([repoId]);
    for (const { head_sha } of branches) {
      const own = (await commitsReachableOnlyFrom([head_sha], [tip], cwd)).filter((sha) => pendingSet.has(sha) && !reached.has(sha));
      if (own.length === 0) continue;
      const base = await mergeBase(head_sha, tip, cwd);
      if (!base) continue;
      if (mainlineIds.size === 0) {
        const ids = await cachedPatchIds(
          db,
          repoId,
          onMainline.filter((sha) => time(sha) >= time(base)),
          cwd,
        );
        for (const [sha, id] of ids) if (!mainlineIds.has(id)) mainlineIds.set(id, sha);
      }
      const copy = mainlineIds.get((await netDiffPatchId(base, head_sha, cwd)) ?? '');
      if (copy) for (const sha of own) reached.set(sha, { via: 'squash', at: reached.get(copy)!.at, copy });
    }
    pending = pending.filter((sha) => !reached.has(sha));
  }

  // 4. Content: at least 80% of the commit's non-trivial added lines stand verbatim on mainline.
  if (pending.length > 0) {
    const touching = db.prepare(`
      SELECT c.sha, c.committed_at FROM metadata_commit_file_changes f JOIN metadata_commits c ON c.repo_id = f.repo_id AND c.sha = f.sha
      WHERE f.repo_id = ? AND f.path = ? AND c.committed_at >= ? ORDER BY c.committed_at`);
    for await (const patch of readCommitPatches(pending, { cwd })) {
      const added = patch.files.flatMap((f) =>
        f.added.filter(isNontrivialLine).map((text) => ({ path: f.path, text: normalizeLine(text) })),
      );
      if (added.length === 0) continue;
      const paths = [...new Set(added.map((a) => a.path))];
      const files = await filesAt(tip, paths, cwd);
      const present = new Map<string, number>();
      for (const [path, text] of files)
        for (const line of text.split('\n')) {
          const key = `${path}\0${normalizeLine(line)}`;
          present.set(key, (present.get(key) ?? 0) + 1);
        }
      let found = 0;
      for (const a of added) {
        const key = `${a.path}\0${a.text}`;
        const n = present.get(key) ?? 0;
        if (n > 0) {
          found++;
          present.set(key, n - 1);
        }
      }
      if (found / added.length < CONTENT_SHARE) continue;
      const since = bySha.get(patch.sha)?.committed_at ?? '';
      const landing = paths
        .flatMap((p) => touching.all<{ sha: string; committed_at: string }>([repoId, p, since]))
        .filter((row) => reached.has(row.sha) && row.sha !== patch.sha)
        .sort((x, y) => reached.get(x.sha)!.at - reached.get(y.sha)!.at)[0];
      const copy = landing?.sha ?? tip;
      reached.set(patch.sha, { via: 'content', at: reached.get(copy)?.at ?? time(tip), copy });
    }
  }

  // 5. Reverts, on mainline: the message forms, else an inverted diff; both ends canonicalized to
  //    their mainline copies; a chain reverts its target only when its length is odd.
  const mainlineCopy = (sha: string) => reached.get(sha)?.copy;
  const edges = new Map<string, { target: string; kind: 'message' | 'diff-inversion' }>(); // revert → target
  const findBySubject = new Map<string, string[]>();
  for (const c of commits) findBySubject.set(c.subject, [...(findBySubject.get(c.subject) ?? []), c.sha]);
  const resolvePrefix = (prefix: string) => commits.find((c) => c.sha.startsWith(prefix.toLowerCase()))?.sha;
  for (const sha of onMainline) {
    const c = bySha.get(sha)!;
    const isSquash = c.pr_number !== null && !/^Revert /.test(c.subject);
    let target: string | undefined;
    if (!isSquash) {
      const byHash = /This reverts commit ([0-9a-f]{7,40})/i.exec(c.message);
      if (byHash) target = resolvePrefix(byHash[1]!);
      const bySubject = /^Revert "(.+)"$/.exec(c.subject.replace(/ \(#\d+\)$/, ''));
      if (!target && bySubject) {
        target = (findBySubject.get(bySubject[1]!) ?? [])
          .filter((s) => s !== sha && time(s) <= time(sha))
          .sort((a, b) => time(b) - time(a))[0];
      }
      const byPr = /^Reverts [\w.-]+\/[\w.-]+#(\d+)/m.exec(c.message);
      if (!target && byPr) target = onMainline.find((s) => bySha.get(s)?.pr_number === Number(byPr[1]) && s !== sha);
    }
    const canonical = target ? mainlineCopy(target) : undefined;
    if (canonical && canonical !== sha) edges.set(sha, { target: canonical, kind: 'message' });
  }
  // Diff inversion: R's patch-id equals the patch-id of C's reversed diff, C landed before R.
  const withoutMessage = onMainline.filter((sha) => !edges.has(sha));
  if (withoutMessage.length > 1) {
    const forward = await cachedPatchIds(db, repoId, withoutMessage, cwd);
    const reverse = await cachedPatchIds(db, repoId, onMainline, cwd, true);
    const byReverse = new Map<string, string[]>();
    for (const [sha, id] of reverse) byReverse.set(id, [...(byReverse.get(id) ?? []), sha]);
    for (const sha of withoutMessage) {
      const target = (byReverse.get(forward.get(sha) ?? '') ?? [])
        .filter((c) => c !== sha && reached.get(c)!.at <= reached.get(sha)!.at)
        .sort((a, b) => reached.get(b)!.at - reached.get(a)!.at)[0];
      if (target) edges.set(sha, { target, kind: 'diff-inversion' });
    }
  }
  const revertsOf = new Map<string, string[]>();
  for (const [r, { target }] of edges) revertsOf.set(target, [...(revertsOf.get(target) ?? []), r]);
  // Partial reverts of commits with AI lines: a later mainline commit that deletes at least half of
  // the commit's non-trivial lines still present just before it (git blame tells which are its).
  const partialKind = new Map<string, 'partial'>();
  const aiCommits = db
    // Heavy-AI commits with line-level evidence: the ones the reverted-later rate is about, and
    // few enough that a blame per later commit stays affordable.
    .prepare(`SELECT sha FROM event_commit_outcomes WHERE repo_id = ? AND heavy_ai = 1 AND attribution_source IN ('transcript', 'note')`)
    .all<{ sha: string }>([repoId])
    .map((r) => r.sha)
    .filter((sha) => reached.get(sha)?.via === 'ancestor' && !revertsOf.has(sha));
  if (aiCommits.length > 0) {
    for (const [c, r] of await findPartialReverts(aiCommits, onMainline, reached, config.revertWindowDays * 86400, db, repoId, cwd)) {
      if (edges.has(r)) continue; // already a full revert of something
      revertsOf.set(c, [...(revertsOf.get(c) ?? []), r]);
      partialKind.set(`${r}|${c}`, 'partial');
    }
  }
  const memo = new Map<string, string | null>();
  /** The effective revert of a commit (one not itself reverted), or null. */
  const effectiveRevert = (sha: string, depth = 0): string | null => {
    if (memo.has(sha)) return memo.get(sha)!;
    if (depth > 50) return null;
    const by = (revertsOf.get(sha) ?? [])
      .filter((r) => effectiveRevert(r, depth + 1) === null)
      .sort((a, b) => reached.get(a)!.at - reached.get(b)!.at)[0];
    memo.set(sha, by ?? null);
    return by ?? null;
  };

  const update = db.prepare(`
    UPDATE event_commit_outcomes SET
      merged_to_mainline = @merged, mainline_via = @via, mainline_sha = @copy, reached_mainline_at = @reachedAt,
      merge_window_closed = @mergeClosed,
      reverted_later = @reverted, reverted_by = @revertedBy, revert_kind = @revertKind,
      revert_window_closed = @revertClosed
    WHERE repo_id = @repo AND sha = @sha`);
  let merged = 0;
  let reverted = 0;
  const window = config.revertWindowDays * 86400;
  db.transaction(() => {
    for (const sha of candidates) {
      const r = reached.get(sha);
      const committed = time(sha);
      const copy = r?.copy ?? null;
      const revert = copy ? effectiveRevert(copy) : null;
      const revertedInWindow = revert !== null && r !== undefined && reached.get(revert)!.at - r.at <= window;
      if (r) merged++;
      if (revertedInWindow) reverted++;
      update.run({
        repo: repoId,
        sha,
        merged: r ? 1 : 0,
        via: r?.via ?? null,
        copy,
        reachedAt: r ? new Date(r.at * 1000).toISOString() : null,
        mergeClosed: now - committed >= config.mergedMinAgeDays * 86400 ? 1 : 0,
        reverted: r ? (revertedInWindow ? 1 : 0) : null,
        revertedBy: revertedInWindow ? revert : null,
        revertKind: revertedInWindow ? (partialKind.get(`${revert}|${copy}`) ?? edges.get(revert!)!.kind) : null,
        revertClosed: r ? (now - r.at >= window ? 1 : 0) : null,
      });
    }
    db.prepare(`INSERT INTO paceflow_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run([
      stateKey,
      state,
    ]);
  });
  return { mainlineTip: tip, merged, reverted };
}

/** The window flags, which move with the calendar, recomputed in SQL from the stored times. */
function refreshWindows(
  db: Database,
  repoId: string,
  config: Pick<PaceflowConfig, 'revertWindowDays' | 'mergedMinAgeDays'>,
  now: number,
): void {
  db.prepare(`
    UPDATE event_commit_outcomes SET
      merge_window_closed = (@now - unixepoch(committed_at)) >= @mergedAge,
      revert_window_closed = CASE WHEN reached_mainline_at IS NULL THEN NULL
                                  ELSE (@now - unixepoch(reached_mainline_at)) >= @revertWindow END
    WHERE repo_id = @repo`).run({
    now: Math.floor(now),
    mergedAge: config.mergedMinAgeDays * 86400,
    revertWindow: config.revertWindowDays * 86400,
    repo: repoId,
  });
}

/**
 * For each commit, the first later mainline commit (within the window) that deletes at least half
 * of the commit's non-trivial lines still present just before it, and adds none of them back.
 */
async function findPartialReverts(
  commits: readonly string[],
  mainline: readonly string[],
  reached: ReadonlyMap<string, Reached>,
  windowSeconds: number,
  db: Database,
  repoId: string,
  cwd: string,
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const filesOf = db.prepare(`SELECT path FROM metadata_commit_file_changes WHERE repo_id = ? AND sha = ? AND added_lines > 0`);
  const touchers = db.prepare(`SELECT sha FROM metadata_commit_file_changes WHERE repo_id = ? AND path = ? AND deleted_lines > 0`);
  const onMainline = new Set(mainline);
  for (const c of commits) {
    const at = reached.get(c)!.at;
    const paths = filesOf.all<{ path: string }>([repoId, c]).map((r) => r.path);
    const later = [...new Set(paths.flatMap((p) => touchers.all<{ sha: string }>([repoId, p]).map((r) => r.sha)))]
      .filter((r) => r !== c && onMainline.has(r) && reached.get(r)!.at > at && reached.get(r)!.at - at <= windowSeconds)
      .sort((a, b) => reached.get(a)!.at - reached.get(b)!.at)
      .slice(0, 20);
    for (const r of later) {
      // C's lines as they stand just before R.
      const present = new Map<string, number>();
      let presentCount = 0;
      for (const path of paths) {
        for (const line of await blameFile(`${r}^`, path, cwd)) {
          if (line.sha !== c || !isNontrivialLine(line.text)) continue;
          const key = `${path}\0${normalizeLine(line.text)}`;
          present.set(key, (present.get(key) ?? 0) + 1);
          presentCount++;
        }
      }
      if (presentCount === 0) break;
      let deleted = 0;
      for await (const patch of readCommitPatches([r], { cwd })) {
        const readded = new Set(patch.files.flatMap((f) => f.added.map(normalizeLine)));
        for (const f of patch.files) {
          for (const text of f.removed) {
            const norm = normalizeLine(text);
            const key = `${f.oldPath ?? f.path}\0${norm}`;
            const n = present.get(key) ?? 0;
            if (n > 0 && !readded.has(norm)) {
              present.set(key, n - 1);
              deleted++;
            }
          }
        }
      }
      if (deleted * 2 >= presentCount) {
        found.set(c, r);
        break;
      }
    }
  }
  return found;
}
