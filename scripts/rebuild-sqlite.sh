#!/usr/bin/env bash
# Compiles better-sqlite3 for the Node on the PATH: against the headers in the folder
# given (a Node release unpacked there), or npm's own choice when none is given.
#
# Except on Node 24.19 or later: their node_object_wrap.h makes every ObjectWrap addon,
# better-sqlite3 12 among them, abort the process when the garbage collector frees a
# wrapped object such as a statement or a connection (nodejs/node#65446). There it
# compiles against the headers of Node 24.18.1 (the same ABI), as better-sqlite3's own
# prebuilt binaries were. test/server/store/sqlite-driver-gc.test.ts fails on a build
# that aborts.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/fetch-node.sh

headers="${1:-}"
if node -e 'const [major, minor] = process.versions.node.split(".").map(Number); process.exit(major === 24 && minor >= 19 ? 0 : 1)'; then
  headers="$node_cache/24.18.1"
  fetch_node 24.18.1 "$headers"
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if [ -n "$headers" ]; then
  echo "Compiling better-sqlite3 for Node $(node --version) against the headers of $("$headers/bin/node" --version)"
  export npm_config_nodedir="$headers"
else
  echo "Rebuilding better-sqlite3 for Node $(node --version)"
fi
# The compiler's warnings only when it fails.
npm rebuild better-sqlite3 --foreground-scripts >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
