# fetch_node <version or major> <folder>: a Node release (binary and headers) from the
# npm registry's node-linux-<arch> package, unpacked into the folder once.
# Sourced by scripts/rebuild-sqlite.sh and scripts/ci/other-nodes.sh.
node_cache="${CLOSELOOP_NODE_CACHE:-$HOME/.cache/closeloop/node}"

fetch_node() {
  if [ ! -x "$2/bin/node" ]; then
    echo "Fetching Node $1 from the npm registry"
    local tmp
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "node-linux-$(node -p process.arch)@$1" >/dev/null)
    mkdir -p "$2"
    tar xzf "$tmp"/node-linux-*.tgz -C "$2" --strip-components=1
    rm -rf "$tmp"
  fi
}
