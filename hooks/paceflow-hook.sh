#!/bin/sh
# paceflow hook shim (installed by `paceflow hooks install`; removed by `paceflow hooks uninstall`).
# POSIX sh with builtins only on the hot path — no node, no git, no other program: it appends the
# event to a queue and starts one detached worker if none runs. paceflow's part always ends with
# status 0: it never fails git. Usage: sh paceflow-hook.sh <hook> [hook arguments…] (post-rewrite's
# "old new" lines come on stdin), or sourced (`.`) by a hook file after `set -- <hook> …`: it
# never calls `exit`, so the hook that sources it goes on (to exit with its own status), and
# a commit pays for no subshell.
PACEFLOW_DIR='@@PACEFLOW_DIR@@'
hook="$1"
[ $# -gt 0 ] && shift

# The notes push that pre-push starts must not run paceflow again.
if [ -z "$PACEFLOW_PUSHING_NOTES" ]; then
  if [ "$hook" = post-rewrite ]; then
    while read -r old new rest; do
      printf '%s %s %s\n' "$hook" "$old" "$new" >>"$PACEFLOW_DIR/queue" 2>/dev/null
    done
  else
    printf '%s %s\n' "$hook" "$*" >>"$PACEFLOW_DIR/queue" 2>/dev/null
  fi

  {
    # One worker at a time. The lock is a file created with noclobber (O_EXCL; `true`, not the
    # special builtin `:`, whose failed redirection would end the script); a lock
    # whose worker is gone (kill -0, a builtin) is taken over.
    lock="$PACEFLOW_DIR/worker.lock"
    start=
    set -C
    if { true >"$lock"; } 2>/dev/null; then
      start=1
    else
      read -r pid <"$lock" 2>/dev/null
      if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
        rm -f "$lock"
        { true >"$lock"; } 2>/dev/null && start=1
      fi
    fi
    set +C
    if [ -n "$start" ]; then
      # At the lowest priority (nice, when the installer found it): the worker's start competes
      # for the CPU with what git still does after this hook (its auto-maintenance check, its own
      # exit), and a commit waited for that (bench/README, session 28). Without NODE_EXTRA_CA_CERTS:
      # Node 20 reads that file at every start (~40 ms with a distribution's bundle) and the worker
      # needs it only to sync, so its value goes on as PACEFLOW_EXTRA_CA_CERTS, which the warehouse
      # connection reads (src/sync/postgres.ts). Empty is unset to Node. $PPID, the hook's parent
      # (git, or the hook manager git waits for): the worker starts its work once that process has
      # exited (src/cli/worker-start.ts) — at once after a commit, after the whole of a rebase —
      # not a fixed 30 ms after every commit. Not pre-push's: its git waits for the worker below.
      parent=$PPID
      [ "$hook" = pre-push ] && parent=
      PACEFLOW_HOOK_PARENT="$parent" PACEFLOW_EXTRA_CA_CERTS="${NODE_EXTRA_CA_CERTS-}" NODE_EXTRA_CA_CERTS= PACEFLOW_DB='@@DB@@' '@@NICE@@' -n 19 '@@NODE@@' '@@CLI@@' hooks worker --dir "$PACEFLOW_DIR" --repo "$PWD" \
        </dev/null >>"$PACEFLOW_DIR/worker.out" 2>&1 &
      echo $! >|"$lock"
    fi

    if [ "$hook" = pre-push ]; then
      # Wait (at most ~10 s) for pending work, so that the notes pushed are complete; then push them.
      i=0
      while [ -e "$lock" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
      if [ -n "$1" ] && git rev-parse --verify --quiet refs/notes/paceflow >/dev/null 2>&1; then
        PACEFLOW_PUSHING_NOTES=1 git push --quiet --no-verify "$1" refs/notes/paceflow >/dev/null 2>&1
      fi
    fi
  } </dev/null >/dev/null 2>&1
fi
true
