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
# With BESIDE=1 the two sides of a round run at the same time, each into its own database, instead of
# one after the other: whatever the machine's speed does during the round, it does to both (their
# CPU is higher than either alone, as two runs and their git share two cores; compare the sides,
# not these figures with a run alone). Then `git log -p` runs alone after them. Each run's line is
# followed by node's CPU up to each of its crash points (bench/phase-figures.mjs).
#
# Runs with --no-sessions --no-notes and HOME set to an empty folder: the history and every builder,
# no transcripts. With SESSIONS=<sessions.json> (bench/synthetic-history.mjs's, or
# bench/sessions-from-history.mjs's for a real repository) HOME holds those sessions' Claude Code
# transcripts, written for the repository's path, and both sides read them (still --no-notes: the
# two sides share the repository). Build this checkout first (npm run build). With
# KEEP_DBS=<folder>, the last database of each side is kept there (baseline.db, this.db) for
# bench/compare-databases.mjs.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
repo="$(cd "$1" && pwd)"
rev="${2:-HEAD~1}"
rounds="${3:-2}"
. "$root/bench/baseline-worktree.sh" "$rev"
rm -rf "$work/home"
mkdir -p "$work/home"
flags=(--no-sessions --no-notes)
if [ -n "${SESSIONS:-}" ]; then
  flags=(--no-notes)
  node --input-type=module -e '
    import { readFileSync } from "node:fs";
    const [sessions, repo, home, lib] = process.argv.slice(1); // lib not first: it checks argv[1] to tell it runs as a script
    const { writeTranscripts } = await import(lib);
    const r = writeTranscripts(JSON.parse(readFileSync(sessions, "utf8")), repo, home);
    console.log(`transcripts: ${r.files} files, ${(r.bytes / 1e6).toFixed(1)} MB`);
  ' "$(cd "$(dirname "$SESSIONS")" && pwd)/$(basename "$SESSIONS")" "$repo" "$work/home" "$root/bench/synthetic-history.mjs"
fi

run() { # label, paceflow checkout, side (baseline or this): prints a line, writes the CPU to $work/$3.cpu
  rm -f "$work/$3".db*
  (cd "$repo" && HOME="$work/home" /usr/bin/time -f "%e %U %S" -o "$work/$3.time" \
    node --import "$root/bench/exit-figures.mjs" --import "$root/bench/phase-figures.mjs" "$2/bin/paceflow.js" ingest "${flags[@]}" --db "$work/$3.db" \
    >/dev/null 2>"$work/$3.err") || { echo "$1: failed: $(tail -1 "$work/$3.err")"; echo 0 >"$work/$3.cpu"; return; }
  read -r wall user sys <"$work/$3.time"
  local cpu
  cpu="$(awk "BEGIN { print $user + $sys }")"
  echo "$cpu" >"$work/$3.cpu"
  # node's own peak and CPU (bench/exit-figures.mjs): GNU time's peak is the largest process, git's at times.
  local hwm node_cpu threads
  hwm="$(sed -n 's/^HWM \([0-9]*\) KB.*/\1/p' "$work/$3.err" | tail -1)"
  node_cpu="$(sed -n 's/.* node-cpu \([0-9.]*\) s.*/\1/p' "$work/$3.err" | tail -1)"
  # Node's CPU split between its main thread and the rest (V8's helpers, mostly garbage collection).
  threads="$(sed -n 's/.* main-thread \([0-9.]*\) s other-threads \([0-9.]*\) s.*/\1 main + \2 other/p' "$work/$3.err" | tail -1)"
  echo "$1: $wall s wall, $user+$sys s CPU ($cpu s; node ${node_cpu} s${threads:+: $threads}), node's peak $((hwm / 1024)) MB"
  # Node's CPU (user + sys) up to each crash point (bench/phase-figures.mjs): which phase a change
  # moved. A revision older than the points' channel shows only `exit`.
  echo "  node's CPU by phase, s: $(awk -F'|' '/^\| / && $2 !~ /point|---/ {
    gsub(/ /, "", $2); printf "%s%s %.1f", sep, $2, $5 + $6; sep = ", " }' "$work/$3.err")"
  if [ -n "${KEEP_DBS:-}" ]; then
    rm -f "$KEEP_DBS/$3.db"*
    for f in "$work/$3".db*; do cp "$f" "$KEEP_DBS/$3.db${f#"$work/$3".db}"; done
  fi
}

for i in $(seq 1 "$rounds"); do
  if [ -n "${BESIDE:-}" ]; then
    run "baseline $rev (beside)" "$work/baseline" baseline &
    run "this checkout (beside)" "$root" this
    wait
  else
    run "baseline $rev" "$work/baseline" baseline
    run "this checkout" "$root" this
  fi
  baseline_cpu="$(cat "$work/baseline.cpu")"
  this_cpu="$(cat "$work/this.cpu")"
  (cd "$repo" && /usr/bin/time -f "%e %U %S" -o "$work/time" git log -p --all --no-merges >/dev/null)
  read -r wall user sys <"$work/time"
  yardstick="$(awk "BEGIN { print $user + $sys }")"
  echo "git log -p --all --no-merges: $wall s wall, $user+$sys s CPU ($yardstick s);" \
    "first run / it: baseline $(awk "BEGIN { printf \"%.2f\", ${baseline_cpu:-0} / $yardstick }")×," \
    "this checkout $(awk "BEGIN { printf \"%.2f\", ${this_cpu:-0} / $yardstick }")×"
done
