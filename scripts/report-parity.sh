#!/usr/bin/env bash
# Byte-for-byte check that a refactor changed no output: runs `report -f json` (plain, pathspec-scoped,
# --range), `stats`, `task-stats` and `show` with two built checkouts on one fixed repository and the
# real transcripts, plus `report` on a clone of paceflow itself, and compares the outputs.
#
#   bash scripts/report-parity.sh <baseline checkout> [<checkout>]   (each built: npm run build)
set -euo pipefail
BASE=$(cd "$1" && pwd); NEW=$(cd "${2:-$(dirname "$0")/..}" && pwd)
SHARED=$(cd "$(dirname "$0")/../../shared" && pwd)
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
R=$W/repo; H=$W/home
rm -rf $R $H; mkdir -p $R $H/.claude/projects/sample $H/.codex
cp -r $SHARED/fixtures/sessions/claude-code/* $H/.claude/projects/
cp -r $SHARED/fixtures/sessions/codex/v0.125.0_codemie/sessions $H/.codex/
chmod -R u+w $H
cd $R; git init -q -b main
export GIT_AUTHOR_NAME=Dev GIT_AUTHOR_EMAIL=dev@example.com GIT_COMMITTER_NAME=Dev GIT_COMMITTER_EMAIL=dev@example.com
c() { export GIT_AUTHOR_DATE="$1 +0000" GIT_COMMITTER_DATE="$1 +0000"; shift; git add -A; git commit -q "$@"; }
printf 'def alpha():\n    return compute_alpha_value()\n' > a.py; c 2026-01-05T09:00:00 -m "initial"
git checkout -q -b feature/ABC-12-login
printf 'def login(user):\n    token = issue_token(user)\n    audit_log(user, token)\n    return token\n' > login.py; c 2026-01-05T10:00:00 -m "ABC-12 add login"
printf 'def logout(user):\n    revoke_all_tokens(user)\n    audit_log(user, None)\n' > logout.py; c 2026-01-05T10:30:00 -m "ABC-12 add logout" -m "Co-Authored-By: Claude <noreply@anthropic.com>"
git checkout -q main; export GIT_COMMITTER_DATE="2026-01-05T11:00:00 +0000"; git merge -q --no-ff feature/ABC-12-login -m "Merge pull request #7 from x/feature/ABC-12-login"
printf 'def beta():\n    return compute_beta_value(42)\n' > b.py; c 2026-01-06T09:00:00 -m "add beta"
git revert --no-edit HEAD >/dev/null; 
printf 'def login(user):\n    token = issue_token(user, scope="all")\n    audit_log(user, token)\n    return token\n' > login.py; c 2026-01-07T09:00:00 -m "widen login scope (#9)"
git checkout -q -b side HEAD~3
printf 'x = compute_side_value()\n' > side.py; c 2026-01-08T09:00:00 -m "side work" --author "Dev (aider) <dev@example.com>"
git checkout -q main
# A Claude session that wrote login.py and logout.py into this repo.
node -e '
const fs=require("fs");const cwd=process.argv[1];let t=Date.parse("2026-01-05T09:30:00Z"),p=null;const L=[];
const env=(type,x)=>{const u="u"+L.length;t+=1000;const l={parentUuid:p,isSidechain:false,userType:"external",cwd,sessionId:"sess-sample-1",version:"2.0.69",gitBranch:"feature/ABC-12-login",type,uuid:u,timestamp:new Date(t).toISOString(),...x};p=u;L.push(JSON.stringify(l));};
env("user",{message:{role:"user",content:"write login"}});
const w=(id,f,c)=>{env("assistant",{message:{model:"claude-sonnet-4-5-20250929",id:"m"+id,type:"message",role:"assistant",content:[{type:"tool_use",id,name:"Write",input:{file_path:f,content:c}}],usage:{input_tokens:10,output_tokens:5}},requestId:"r"+id});
env("user",{message:{role:"user",content:[{tool_use_id:id,type:"tool_result",content:"ok"}]},toolUseResult:{type:"create",filePath:f,content:c,structuredPatch:[],originalFile:null}});};
w("t1",cwd+"/login.py","def login(user):\n    token = issue_token(user)\n    audit_log(user, token)\n    return token\n");
w("t2",cwd+"/logout.py","def logout(user):\n    revoke_all_tokens(user)\n    audit_log(user, None)\n");
fs.writeFileSync(process.argv[2], L.join("\n")+"\n");' $R $H/.claude/projects/sample/sess-sample-1.jsonl
git clone -q "$NEW" "$W/own"
run() { # <checkout> <out dir>
  local CLI=$1/bin/paceflow.js OUT=$2; mkdir -p "$OUT"
  ( export HOME=$H; unset XDG_DATA_HOME PACEFLOW_HOME CLAUDE_CONFIG_DIR CODEX_HOME
    cd "$R"
    node "$CLI" --db "$OUT/a.db" report --format json > "$OUT/report.json" 2>/dev/null
    node "$CLI" --db "$OUT/a.db" report --format json -- '*.py' ':!b.py' > "$OUT/scoped.json" 2>/dev/null
    node "$CLI" --db "$OUT/a.db" report --format json --range HEAD~4..HEAD > "$OUT/range.json" 2>/dev/null
    node "$CLI" --db "$OUT/a.db" stats --format json > "$OUT/stats.json" 2>/dev/null
    node "$CLI" --db "$OUT/a.db" task-stats --format json > "$OUT/tasks.json" 2>/dev/null
    node "$CLI" --db "$OUT/a.db" show HEAD~1 --format json > "$OUT/show.json" 2>/dev/null
    cd "$W/own" && node "$CLI" --db "$OUT/b.db" report --format json > "$OUT/own.json" 2>/dev/null )
}
run "$BASE" "$W/base"; run "$NEW" "$W/new"
status=0
for f in report scoped range stats tasks show own; do
  if cmp -s "$W/base/$f.json" "$W/new/$f.json"; then echo "$f: identical ($(wc -c < "$W/new/$f.json") bytes)"; else echo "$f: DIFFERS"; status=1; fi
done
exit $status
