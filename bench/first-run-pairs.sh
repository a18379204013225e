#!/usr/bin/env bash
# A first run on any repository, alternated between this checkout and another revision built beside
# it, each into a new database, and `git log -p --all --no-merges` on the same repository after each
# pair: the budget's yardstick (DESIGN §7: a first run ≤ 2× its CPU), timed beside the runs it
# divides (this machine's speed drifts by a third within an hour). CPU is user + sys of the whole process
# tree under GNU time (git's children included); node's own CPU and peak come from
# bench/exit-figures.mjs.
#
#   bash bench/first-run-pairs.sh <repository> [BASELINE_REV] [ROUNDS]   # defaults: HEAD~1, 2
#
# Runs with --no-sessions --no-notes and HOME set to an empty folder: the history and every builder,
# no transcripts. Build this checkout first (npm run build). With KEEP_DBS=<folder>, the last
# database of each side is kept there (baseline.db, this.db) for bench/compare-databases.mjs.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
repo="$(cd "$1" && pwd)"
rev="${2:-HEAD~1}"
rounds="${3:-2}"
. "$root/bench/baseline-worktree.sh" "$rev"
mkdir -p "$work/home"

run() { # label, paceflow checkout, side (baseline or this)
  rm -f "$work"/db*
  (cd "$repo" && HOME="$work/home" /usr/bin/time -f "%e %U %S" -o "$work/time" \
    node --import "$root/bench/exit-figures.mjs" "$2/bin/paceflow.js" ingest --no-sessions --no-notes --db "$work/db" \
    >/dev/null 2>"$work/err") || { echo "$1: failed: $(tail -1 "$work/err")"; return; }
  read -r wall user sys <"$work/time"
  cpu="$(awk "BEGIN { print $user + $sys }")"
  # node's own peak and CPU (bench/exit-figures.mjs): GNU time's peak is the largest process, git's at times.
  local hwm node_cpu
  hwm="$(sed -n 's/^HWM \([0-9]*\) KB.*/\1/p' "$work/err" | tail -1)"
  node_cpu="$(sed -n 's/.* node-cpu \([0-9.]*\) s.*/\1/p' "$work/err" | tail -1)"
  echo "$1: $wall s wall, $user+$sys s CPU ($cpu s; node ${node_cpu} s), node's peak $((hwm / 1024)) MB"
  if [ -n "${KEEP_DBS:-}" ]; then
    rm -f "$KEEP_DBS/$3.db"*
    for f in "$work"/db*; do cp "$f" "$KEEP_DBS/$3.db${f#"$work"/db}"; done
  fi
}

for i in $(seq 1 "$rounds"); do
  cpu=""
  run "baseline $rev" "$work/baseline" baseline
  baseline_cpu="$cpu"
  cpu=""
  run "this checkout" "$root" this
  this_cpu="$cpu"
  (cd "$repo" && /usr/bin/time -f "%e %U %S" -o "$work/time" git log -p --all --no-merges >/dev/null)
  read -r wall user sys <"$work/time"
  yardstick="$(awk "BEGIN { print $user + $sys }")"
  echo "git log -p --all --no-merges: $wall s wall, $user+$sys s CPU ($yardstick s);" \
    "first run / it: baseline $(awk "BEGIN { printf \"%.2f\", ${baseline_cpu:-0} / $yardstick }")×," \
    "this checkout $(awk "BEGIN { printf \"%.2f\", ${this_cpu:-0} / $yardstick }")×"
done
