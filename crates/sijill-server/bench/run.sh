#!/usr/bin/env bash
# The server benchmark of docs/performance.md ("Server"): the synthetic national registry in a
# sled folder, served by a release build, loaded with wrk (GET roster, POST commands) and read
# from the start of its event stream.
#   bash crates/sijill-server/bench/run.sh [DIR] [SCALE]     (defaults: target/bench-server full)
# Needs wrk on PATH. Every run against the same DIR appends the POST benchmark's commands, so
# the log grows by them; delete DIR to start again.
set -euo pipefail
cd "$(dirname "$0")/../../.."
dir=${1:-target/bench-server}
scale=${2:-full}
seconds=${SIJILL_BENCH_SECONDS:-30}
target=${CARGO_TARGET_DIR:-target}
cargo build --release -p sijill-server --example bench_server --example sse_count
bin="$target/release/examples"
out=$(mktemp)
"$bin/bench_server" "$dir" "$scale" 127.0.0.1:8080 >"$out" &
server=$!
trap 'kill $server 2>/dev/null; rm -f "$out"' EXIT
until grep -q '^try:' "$out"; do sleep 1; kill -0 $server; done
url=http://127.0.0.1:8080
reader=$(awk '$1 == "reader" {print $2}' "$out")
registrar=$(awk '$1 == "registrar" {print $2}' "$out")

# The first provincial coordination: a body of about twenty members.
body=""
for offset in $(seq 0 1000 20000); do
  body=$(curl -s -H "Authorization: Bearer $reader" "$url/v1/bodies?limit=1000&offset=$offset" |
    python3 -c 'import json,sys; items=json.load(sys.stdin)["data"]["bodies"]["items"]; print(next((i["body"]["handle"] for i in items if i["kind"] == "provincial-coordination"), ""))')
  [ -n "$body" ] && break
done
entries=$(curl -s -H "Authorization: Bearer $reader" "$url/v1/bodies/$body/roster" |
  python3 -c 'import json,sys; print(len(json.load(sys.stdin)["data"]["roster"]["entries"]))')
echo "== GET roster of $body ($entries entries), 64 connections, ${seconds}s"
wrk -t2 -c64 -d"${seconds}s" --latency -H "Authorization: Bearer $reader" "$url/v1/bodies/$body/roster"

echo "== POST /v1/commands, one register_person per request, 64 connections, ${seconds}s"
run="run-$(date +%s)"
SIJILL_TOKEN=$registrar wrk -t2 -c64 -d"${seconds}s" --latency -s crates/sijill-server/bench/post_commands.lua "$url" -- "$run"

head=$(curl -s "$url/v1/health" | python3 -c 'import json,sys; print(json.load(sys.stdin)["position"])')
want=$(( head < 1000000 ? head : 1000000 ))
echo "== event stream from position 1: the first $want of $head events"
"$bin/sse_count" "$url" "$reader" "$want"
