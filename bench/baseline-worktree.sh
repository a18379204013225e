# Sourced (`. "$root/bench/baseline-worktree.sh" <rev>`, with $root this checkout) by the bench
# scripts that run this checkout beside another revision: makes $work, a temporary folder removed
# on exit with the worktree, and builds <rev> in $work/baseline, sharing this checkout's node_modules.
work="$(mktemp -d)"
trap 'git -C "$root" worktree remove --force "$work/baseline" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git -C "$root" worktree add -q --detach "$work/baseline" "$1"
ln -s "$root/node_modules" "$work/baseline/node_modules"
(cd "$work/baseline" && npm run --silent build >/dev/null)
