#!/usr/bin/env bash
# Two commands timed alternately, N rounds, wall-clock medians in ms: for differences smaller than
# what a busy machine moves between minutes (a nothing-new run of two builds of paceflow).
#
#   bash bench/alternate.sh N <command A…> -- <command B…>
set -euo pipefail
n="$1"; shift
a_cmd=(); b_cmd=(); in_b=0
for arg in "$@"; do
  if [ "$arg" = "--" ]; then in_b=1; elif [ "$in_b" = 0 ]; then a_cmd+=("$arg"); else b_cmd+=("$arg"); fi
done
a=(); b=()
# A command that fails is not timed: a failure is quick, and its time would pass for a speed-up.
ms() {
  local s e
  s=$(date +%s%N)
  if ! "$@" >/dev/null 2>&1; then echo "failed: $*" >&2; return 1; fi
  e=$(date +%s%N)
  echo $(( (e - s) / 1000000 ))
}
for _ in $(seq "$n"); do
  t=$(ms "${a_cmd[@]}") || exit 1; a+=("$t")
  t=$(ms "${b_cmd[@]}") || exit 1; b+=("$t")
done
median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
echo "A: $(printf '%s\n' "${a[@]}" | sort -n | tr '\n' ' ') median $(median "${a[@]}") ms"
echo "B: $(printf '%s\n' "${b[@]}" | sort -n | tr '\n' ' ') median $(median "${b[@]}") ms"
