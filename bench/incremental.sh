#!/usr/bin/env bash
# The case users live in: what `paceflow ingest` (what the hooks' worker runs) costs after a small
# change to a large history — this checkout against another revision built beside it, in the same
# run, each on its own copy of the repository and its own database. Counts git processes too.
#
#   bash bench/incremental.sh <repository> [BASELINE_REV]     # default baseline: HEAD~1
#
# Cases, in order: the first run (with mainline 20 commits back), nothing new, one new commit on a
# topic branch, a new branch at an existing commit, mainline moving 20 commits (as a fetch would),
# one new commit on mainline. The repository's mainline is its origin/HEAD, main or master.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
src="$(cd "$1" && pwd)"
rev="${2:-HEAD~1}"
work="$(mktemp -d)"
trap 'git -C "$root" worktree remove --force "$work/baseline" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git -C "$root" worktree add -q --detach "$work/baseline" "$rev"
ln -s "$root/node_modules" "$work/baseline/node_modules"
(cd "$work/baseline" && npx tsc -p tsconfig.build.json)
# git, counted: every process paceflow starts goes through this wrapper.
mkdir -p "$work/bin"
real_git="$(command -v git)"
printf '#!/bin/sh\necho x >> "%s/git-count"\nexec "%s" "$@"\n' "$work" "$real_git" > "$work/bin/git"
chmod +x "$work/bin/git"

mainline() { # the mainline ref of the repository at $1
  local head
  head="$(git -C "$1" symbolic-ref -q --short refs/remotes/origin/HEAD 2>/dev/null || true)"
  if [ -n "$head" ]; then echo "refs/remotes/$head"; elif git -C "$1" rev-parse -q --verify refs/heads/main >/dev/null; then echo refs/heads/main; else echo refs/heads/master; fi
}

measure() { # <label> <bin> <repo> <db>
  : > "$work/git-count"
  if ! (cd "$3" && PATH="$work/bin:$PATH" /usr/bin/time -o "$work/time" -f '%e s wall, %U+%S s CPU, %M KB' node "$2" --db "$4" ingest --no-sessions --no-progress >"$work/out" 2>&1); then
    echo "$1: failed"; cat "$work/out"; exit 1
  fi
  echo "$1: $(cat "$work/time"), $(wc -l < "$work/git-count") git processes; $(grep -o 'outcomes: .*' "$work/out")"
}

for variant in "baseline $rev:$work/baseline/bin/paceflow.js" "this checkout:$root/bin/paceflow.js"; do
  name="${variant%%:*}"; bin="${variant#*:}"
  repo="$work/repo-${name%% *}"; db="$work/${name%% *}.db"
  git clone -q "$src" "$repo"
  ref="$(mainline "$repo")"; tip="$(git -C "$repo" rev-parse "$ref")"
  git -C "$repo" update-ref "$ref" "$(git -C "$repo" rev-parse "$tip~20")"
  measure "$name, first run" "$bin" "$repo" "$db"
  measure "$name, nothing new" "$bin" "$repo" "$db"
  git -C "$repo" checkout -q -b bench-topic "$tip~30"
  echo "// bench $RANDOM" >> "$repo/bench-topic.txt"
  git -C "$repo" add -A && git -C "$repo" -c user.name=Bench -c user.email=b@example.com commit -qm "bench: one new commit on a topic branch"
  measure "$name, one new commit on a topic branch" "$bin" "$repo" "$db"
  git -C "$repo" branch bench-new "$tip~40"
  measure "$name, a new branch at an existing commit" "$bin" "$repo" "$db"
  git -C "$repo" update-ref "$ref" "$tip"
  measure "$name, mainline moves 20 commits" "$bin" "$repo" "$db"
  # A commit on mainline that adds a file (plumbing: the mainline may be a remote-tracking ref).
  blob="$(echo "export const benchValue = computeBenchValue();" | git -C "$repo" hash-object -w --stdin)"
  GIT_INDEX_FILE="$work/index" git -C "$repo" read-tree "$tip"
  GIT_INDEX_FILE="$work/index" git -C "$repo" update-index --add --cacheinfo "100644,$blob,bench-mainline.ts"
  tree="$(GIT_INDEX_FILE="$work/index" git -C "$repo" write-tree)"
  git -C "$repo" update-ref "$ref" "$(git -C "$repo" -c user.name=Bench -c user.email=b@example.com commit-tree "$tree" -p "$tip" -m 'bench: one new commit on mainline')"
  measure "$name, one new commit on mainline" "$bin" "$repo" "$db"
done
