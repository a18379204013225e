#!/usr/bin/env bash
# The case users live in: what `paceflow ingest` (what the hooks' worker runs) costs after a small
# change to a large history — this checkout against another revision built beside it, in the same
# run, each on its own copy of the repository and its own database. Counts git processes too.
#
#   bash bench/incremental.sh <repository> [BASELINE_REV] [SESSIONS_JSON]   # default baseline: HEAD~1
#
# With SESSIONS_JSON (bench/synthetic-history.mjs writes one beside its repository) each copy gets
# those Claude Code sessions as transcripts in a HOME of its own and the ingest reads them;
# without, it runs with --no-sessions. Cases, in order: the first run (mainline 20 commits back),
# also timed against `git log -p --all --no-merges` on the same copy; nothing new; one new commit on
# a topic branch; a new branch at an existing commit; an amend; a 10-commit branch, then rebased
# onto mainline; mainline moving 20 commits (as a fetch would); one new commit on mainline; one
# more on the topic branch, recorded by what the hooks start (`hooks worker`, its whole run), and
# again (the worker's second run); a commit on mainline, recorded by the worker; with sessions, a
# commit of lines a new session wrote, recorded by the worker too, then the same session going on
# (its transcript grows) and another commit. The repository's mainline is its origin/HEAD, main or
# master. Where the source has pull requests' refs (refs/pull/), they are fetched last, a 3-commit
# branch made off mainline, and mainline fast-forwarded onto it. This checkout also prints `--work`.
#
# With SESSIONS_JSON and SESSION_ROUNDS=<n>, the two session cases then run <n> more times for each
# side, alternated, each side every time from its own state (its copy, database and HOME as they
# stood before its session cases, restored and synced to disk; each side's own, so revisions of
# different schemas compare): the cases nearest the worker's 0.5 s budget, paired round by round
# instead of an hour's drift apart.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
src="$(cd "$1" && pwd)"
rev="${2:-HEAD~1}"
sessions="${3:-}"
# Absolute: the transcripts are written from bench/ (a relative path would be read from there).
[ -n "$sessions" ] && sessions="$(cd "$(dirname "$sessions")" && pwd)/$(basename "$sessions")"
. "$root/bench/baseline-worktree.sh" "$rev"
# git, counted: a preload in each timed run (bench/git-count.cjs) writes a line per git process
# the run starts to $work/git-count — not a wrapper on PATH, whose shell cost ~2 ms a process.
export PACEFLOW_BENCH_GIT_COUNT="$work/git-count"
count_git=(--require "$root/bench/git-count.cjs")

mainline() { # the mainline ref of the repository at $1
  local head
  head="$(git -C "$1" symbolic-ref -q --short refs/remotes/origin/HEAD 2>/dev/null || true)"
  if [ -n "$head" ]; then echo "refs/remotes/$head"; elif git -C "$1" rev-parse -q --verify refs/heads/main >/dev/null; then echo refs/heads/main; else echo refs/heads/master; fi
}

# The CLI's compile cache, as PACEFLOW_COMPILE_CACHE_LOG reports it (builds before the bundles say nothing).
export PACEFLOW_COMPILE_CACHE_LOG=1
cache_used() { grep -o '^compile cache: [a-z]*' "$work/out" | head -1 | sed 's/.*/ [&]/'; }

measure() { # <label> <bin> <repo> <db> <home> [extra flags]
  : > "$work/git-count"
  local flags=(--no-progress)
  [ -z "$sessions" ] && flags+=(--no-sessions)
  if ! (cd "$3" && HOME="$5" /usr/bin/time -o "$work/time" -f '%e s wall, %U+%S s CPU, %M KB' node "${count_git[@]}" "$2" --db "$4" ingest "${flags[@]}" "${@:6}" >"$work/out" 2>&1); then
    echo "$1: failed"; cat "$work/out"; exit 1
  fi
  echo "$1: $(cat "$work/time"), $(wc -l < "$work/git-count") git processes; $(grep -o 'outcomes: .*' "$work/out")$(cache_used)"
  grep -o '^work: .*' "$work/out" | sed 's/^/    /' || true
}

measure_worker() { # <label> <bin> <repo> <db> <home> [may-fail]: what the hooks start after a commit — the worker's whole run
  : > "$work/git-count"
  local dir="$work/worker-dir"
  rm -rf "$dir" && mkdir -p "$dir" && echo "post-commit " > "$dir/queue"
  # The environment the side's own hook shim gives its worker: one that empties NODE_EXTRA_CA_CERTS
  # (Node reads that file at every start) hands its value on in PACEFLOW_EXTRA_CA_CERTS.
  local ca_env=()
  if grep -q 'NODE_EXTRA_CA_CERTS= ' "$(dirname "$(dirname "$2")")/hooks/paceflow-hook.sh" 2>/dev/null; then
    ca_env=(NODE_EXTRA_CA_CERTS= PACEFLOW_EXTRA_CA_CERTS="${NODE_EXTRA_CA_CERTS-}")
  fi
  # A shim that hands on the hook's parent (git) has its worker wait until git has exited: git has
  # by the time node has started (bench/hook-parent.mjs), so the pid given is of a process gone.
  if grep -q 'PACEFLOW_HOOK_PARENT=' "$(dirname "$(dirname "$2")")/hooks/paceflow-hook.sh" 2>/dev/null; then
    local gone
    sh -c 'exit 0' &
    gone=$!
    wait "$gone"
    ca_env+=(PACEFLOW_HOOK_PARENT="$gone")
  fi
  if ! (cd "$3" && HOME="$5" PACEFLOW_DB="$4" env "${ca_env[@]}" /usr/bin/time -o "$work/time" -f '%e s wall, %U+%S s CPU, %M KB' node "${count_git[@]}" "$2" hooks worker --dir "$dir" --repo "$3" >"$work/out" 2>&1); then
    echo "$1: failed"; cat "$work/out"; exit 1
  fi
  if [ -e "$dir/queue" ] || [ -e "$dir/worker.log" ]; then
    echo "$1: the queue was not drained: $(head -c 300 "$dir/worker.log" 2>/dev/null)"
    [ "${6:-}" = may-fail ] && return 0
    exit 1
  fi
  echo "$1: $(cat "$work/time"), $(wc -l < "$work/git-count") git processes$(cache_used)"
}

commit_file() { # <repo> <file> <message>: one new commit on the checked-out branch
  # The same lines for both builds (a counter, not $RANDOM): what a commit's lines match decides
  # how much the builders ask of git (one run counted 16 git processes where the other counted 14).
  commit_n=$((commit_n + 1))
  echo "export const bench$commit_n = computeBench($commit_n);" >> "$1/$2"
  git -C "$1" add -A && git -C "$1" -c user.name=Bench -c user.email=b@example.com commit -qm "$3"
}

session_cases() { # <name> <bin> <repo> <db> <home>: a session's commit, then the session going on, each recorded by the worker
  local name="$1" bin="$2" repo="$3" db="$4" home="$5" session_at
  # What an assistant's user does all day: a session writes a file, then it is committed. Its AI
  # lines change the evidence churn and the session links follow, while mainline stays put.
  # Prints the time of the write: the session goes on below from the same transcript.
  session_at="$(cd "$root/bench" && node --input-type=module -e '
    import { writeFileSync } from "node:fs";
    import { join } from "node:path";
    import { writeTranscripts } from "./synthetic-history.mjs";
    const [repo, home] = process.argv.slice(1);
    const at = Math.floor(Date.now() / 1000) - 60;
    const lines = Array.from({ length: 30 }, (_, i) => `export const sessionValue${i} = computeSessionValue(${i}, "bench");`);
    writeTranscripts([{ id: "beefbeef-0000-4000-8000-000000000001", branch: "bench-rebase", edits: [{ at, path: "bench-session.ts", lines }] }], repo, home);
    writeFileSync(join(repo, "bench-session.ts"), `${lines.join("\n")}\n`);
    console.log(at);
  ' "$repo" "$home")"
  git -C "$repo" add -A && git -C "$repo" -c user.name=Bench -c user.email=b@example.com commit -qm "bench: lines a session wrote"
  measure_worker "$name, a commit of lines a session wrote, the worker's whole run" "$bin" "$repo" "$db" "$home"
  # The session goes on: its transcript grows by a second write (the first lines as they were),
  # and that file is committed too. A build that fails here says so and the script goes on.
  (cd "$root/bench" && node --input-type=module -e '
    import { writeFileSync } from "node:fs";
    import { join } from "node:path";
    import { writeTranscripts } from "./synthetic-history.mjs";
    const [repo, home, at] = process.argv.slice(1);
    const first = Array.from({ length: 30 }, (_, i) => `export const sessionValue${i} = computeSessionValue(${i}, "bench");`);
    const more = Array.from({ length: 30 }, (_, i) => `export const sessionMore${i} = computeSessionValue(${i}, "more");`);
    const edits = [
      { at: Number(at), path: "bench-session.ts", lines: first },
      { at: Number(at) + 30, path: "bench-session-2.ts", lines: more },
    ];
    writeTranscripts([{ id: "beefbeef-0000-4000-8000-000000000001", branch: "bench-rebase", edits }], repo, home);
    writeFileSync(join(repo, "bench-session-2.ts"), `${edits[1].lines.join("\n")}\n`);
  ' "$repo" "$home" "$session_at")
  git -C "$repo" add -A && git -C "$repo" -c user.name=Bench -c user.email=b@example.com commit -qm "bench: more lines the session wrote"
  measure_worker "$name, the session goes on: its grown transcript and a commit, the worker's whole run" "$bin" "$repo" "$db" "$home" may-fail
}

for variant in "baseline $rev:$work/baseline/bin/paceflow.js" "this checkout:$root/bin/paceflow.js"; do
  name="${variant%%:*}"; bin="${variant#*:}"
  commit_n=0
  tag="${name%% *}"
  repo="$work/repo-$tag"; db="$work/$tag.db"; home="$work/home-$tag"
  extra=(); [ "$tag" = this ] && extra=(--work)
  git clone -q "$src" "$repo"
  mkdir -p "$home"
  # A committer's HOME: who commits has a name and email set (the notes commit names them).
  git config --file "$home/.gitconfig" user.name Bench
  git config --file "$home/.gitconfig" user.email b@example.com
  if [ -n "$sessions" ]; then
    # Paths go in as arguments, never spliced into the script's text.
    (cd "$root/bench" && node --input-type=module -e '
      import { readFileSync } from "node:fs";
      import { writeTranscripts } from "./synthetic-history.mjs";
      const [sessions, repo, home, name] = process.argv.slice(1);
      const r = writeTranscripts(JSON.parse(readFileSync(sessions, "utf8")), repo, home);
      console.log(`${name}: ${r.files} transcripts, ${(r.bytes / 1e6).toFixed(1)} MB`);
    ' "$sessions" "$repo" "$home" "$name")
  fi
  ref="$(mainline "$repo")"; tip="$(git -C "$repo" rev-parse "$ref")"
  git -C "$repo" update-ref "$ref" "$(git -C "$repo" rev-parse "$tip~20")"
  measure "$name, first run" "$bin" "$repo" "$db" "$home" "${extra[@]}"
  (cd "$repo" && /usr/bin/time -o "$work/time" -f '%e s wall, %U+%S s CPU, %M KB' git log -p --all --no-merges >/dev/null)
  echo "$name, git log -p --all --no-merges on the same copy: $(cat "$work/time")"
  measure "$name, nothing new" "$bin" "$repo" "$db" "$home" "${extra[@]}"
  git -C "$repo" checkout -q -b bench-topic "$tip~30"
  commit_file "$repo" bench-topic.ts "bench: one new commit on a topic branch"
  measure "$name, one new commit on a topic branch" "$bin" "$repo" "$db" "$home" "${extra[@]}"
  git -C "$repo" branch bench-new "$tip~40"
  measure "$name, a new branch at an existing commit" "$bin" "$repo" "$db" "$home" "${extra[@]}"
  echo "// amended" >> "$repo/bench-topic.ts"
  git -C "$repo" -c user.name=Bench -c user.email=b@example.com commit -qa --amend --no-edit
  measure "$name, an amend" "$bin" "$repo" "$db" "$home" "${extra[@]}"
  git -C "$repo" checkout -q -b bench-rebase "$tip~60"
  for i in 1 2 3 4 5 6 7 8 9 10; do commit_file "$repo" bench-rebase.ts "bench: step $i"; done
  measure "$name, a 10-commit branch" "$bin" "$repo" "$db" "$home" "${extra[@]}"
  git -C "$repo" -c user.name=Bench -c user.email=b@example.com rebase -q "$ref"
  measure "$name, the 10 commits rebased onto mainline" "$bin" "$repo" "$db" "$home" "${extra[@]}"
  git -C "$repo" update-ref "$ref" "$tip"
  measure "$name, mainline moves 20 commits" "$bin" "$repo" "$db" "$home" "${extra[@]}"
  # A commit on mainline that adds a file (plumbing: the mainline may be a remote-tracking ref).
  blob="$(echo "export const benchValue = computeBenchValue();" | git -C "$repo" hash-object -w --stdin)"
  GIT_INDEX_FILE="$work/index" git -C "$repo" read-tree "$tip"
  GIT_INDEX_FILE="$work/index" git -C "$repo" update-index --add --cacheinfo "100644,$blob,bench-mainline.ts"
  tree="$(GIT_INDEX_FILE="$work/index" git -C "$repo" write-tree)"
  # Dated a minute back: the topic commits after it are then always written after mainline's last
  # landing, on both sides. Made in the same second as one of them (as the clock fell), the squash
  # rule diffed that branch on one side only (a merge-base and a diff-tree: 2 more git processes
  # in every later worker run of that side, ~0.1 s on the 80k history).
  stamp="@$(($(date +%s) - 60)) +0000"
  git -C "$repo" update-ref "$ref" "$(GIT_AUTHOR_DATE="$stamp" GIT_COMMITTER_DATE="$stamp" git -C "$repo" -c user.name=Bench -c user.email=b@example.com commit-tree "$tree" -p "$tip" -m 'bench: one new commit on mainline')"
  measure "$name, one new commit on mainline" "$bin" "$repo" "$db" "$home" "${extra[@]}"
  commit_file "$repo" bench-rebase.ts "bench: one more commit, recorded by the hooks' worker"
  measure_worker "$name, one new commit on a topic branch, the hooks' worker's whole run" "$bin" "$repo" "$db" "$home"
  # What every later commit costs: the worker's second run starts from the compile cache its first wrote.
  commit_file "$repo" bench-rebase.ts "bench: and one more"
  measure_worker "$name, one more commit, the worker's second run" "$bin" "$repo" "$db" "$home"
  # A commit on mainline itself (a repository without a remote, a commit made on it), then the
  # worker: dated after the last mainline commit and before the topic commits that follow.
  blob="$(echo "export const benchMainline = computeBenchMainline();" | git -C "$repo" hash-object -w --stdin)"
  head_tip="$(git -C "$repo" rev-parse "$ref")"
  GIT_INDEX_FILE="$work/index" git -C "$repo" read-tree "$head_tip"
  GIT_INDEX_FILE="$work/index" git -C "$repo" update-index --add --cacheinfo "100644,$blob,bench-mainline-worker.ts"
  tree="$(GIT_INDEX_FILE="$work/index" git -C "$repo" write-tree)"
  stamp="@$(($(date +%s) - 30)) +0000"
  git -C "$repo" update-ref "$ref" "$(GIT_AUTHOR_DATE="$stamp" GIT_COMMITTER_DATE="$stamp" git -C "$repo" -c user.name=Bench -c user.email=b@example.com commit-tree "$tree" -p "$head_tip" -m 'bench: a commit on mainline, recorded by the worker')"
  measure_worker "$name, a commit on mainline, the hooks' worker's whole run" "$bin" "$repo" "$db" "$home"
  if [ -n "$sessions" ]; then
    if [ -n "${SESSION_ROUNDS:-}" ]; then
      # Each side's own state: a database one revision wrote may be of a schema the other refuses.
      rm -rf "$work/snap-$tag" && mkdir -p "$work/snap-$tag" && cp -a "$repo" "$home" "$db"* "$work/snap-$tag/"
    fi
    session_cases "$name" "$bin" "$repo" "$db" "$home"
  fi
  # Pull requests' refs as a maintainer fetches them (refs/pull/<n>/head; a clone takes none), then
  # mainline fast-forwards onto a branch already recorded (a merge --ff-only, a rebase-and-merge
  # pulled): every new landing is a commit the database holds, so the squash rule asks each pull
  # request's ref whether mainline carries its number (286 s of one run on this history before
  # session 59: each question walked mainline's whole landing).
  if [ -n "$(git -C "$src" for-each-ref --count=1 refs/pull/)" ]; then
    git -C "$repo" fetch -q "$src" '+refs/pull/*:refs/pull/*'
    measure "$name, $(git -C "$repo" for-each-ref refs/pull/ | wc -l) pull requests' refs fetched" "$bin" "$repo" "$db" "$home" "${extra[@]}"
    git -C "$repo" checkout -q -b bench-ff "$ref"
    for i in 1 2 3; do commit_file "$repo" bench-ff.ts "bench: fast-forwarded $i"; done
    measure "$name, a 3-commit branch off mainline" "$bin" "$repo" "$db" "$home" "${extra[@]}"
    git -C "$repo" update-ref "$ref" "$(git -C "$repo" rev-parse bench-ff)"
    measure "$name, mainline fast-forwards onto it, with the pull requests' refs" "$bin" "$repo" "$db" "$home" "${extra[@]}"
  fi
  rm -rf "$repo" "$home"
done

if [ -n "$sessions" ] && [ -n "${SESSION_ROUNDS:-}" ]; then
  for round in $(seq 1 "$SESSION_ROUNDS"); do
    for variant in "baseline $rev:$work/baseline/bin/paceflow.js" "this checkout:$root/bin/paceflow.js"; do
      tag="${variant%% *}"
      repo="$work/repo-$tag"; db="$work/$tag.db"; home="$work/home-$tag"
      rm -rf "$repo" "$home" "$db"*
      cp -a "$work/snap-$tag/repo-$tag" "$repo" && cp -a "$work/snap-$tag/home-$tag" "$home"
      for f in "$work/snap-$tag/$tag".db*; do cp "$f" "$work/${f##*/}"; done
      # The copies' pages written out now, not by the worker's first fsync.
      sync
      # Each side keeps its own compile cache from round to round (the restored HOME holds this
      # checkout's): both start without one in round 1.
      XDG_CACHE_HOME="$work/cache-${variant%% *}" session_cases "${variant%%:*} (round $round)" "${variant#*:}" "$repo" "$db" "$home"
    done
  done
fi
