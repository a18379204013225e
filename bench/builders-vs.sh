#!/usr/bin/env bash
# The builders (attribution, notes, mainline, reverts, churn, tasks) on the 50,000-commit repository:
# this checkout against another revision built beside it, in the same run, each from a fresh database.
#
#   bash bench/builders-vs.sh [BASELINE_REV]      # default: HEAD~1
#
# Needs `npm run build` here and bench/.work/synthetic-50000 (made by bench/git-ingest.mjs).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
rev="${1:-HEAD~1}"
repo="$root/bench/.work/synthetic-50000"
[ -d "$repo" ] || node "$root/bench/git-ingest.mjs" --commits 50000 --runs 1
base="$(mktemp -d)/baseline"
git -C "$root" worktree add -q --detach "$base" "$rev"
trap 'git -C "$root" worktree remove --force "$base"' EXIT
ln -s "$root/node_modules" "$base/node_modules"
(cd "$base" && npm run --silent build >/dev/null)
cd "$repo"
for variant in "baseline $rev:$base/bin/paceflow.js" "this checkout:$root/bin/paceflow.js"; do
  name="${variant%%:*}"; bin="${variant#*:}"
  db="$(mktemp -d)/paceflow.db"
  node "$bin" --db "$db" ingest --no-sessions --no-notes --no-attribution --no-progress >/dev/null
  echo "$name, first run of the builders: $( { /usr/bin/time -f '%e s %M KB' node "$bin" --db "$db" ingest --no-sessions --no-notes --no-progress >/dev/null; } 2>&1 )"
  for i in 1 2 3; do
    echo "$name, re-run: $( { /usr/bin/time -f '%e s %M KB' node "$bin" --db "$db" ingest --no-sessions --no-notes --no-progress >/dev/null; } 2>&1 )"
  done
done
