#!/usr/bin/env bash
# Starts a throwaway PostgreSQL for the tests and prints the URL to use as
# CLOSELOOP_TEST_DATABASE_URL. Installs Debian's postgresql when it is missing
# (CI runs as root on a fresh machine). The cluster lives in a temp folder,
# trusts local connections, and listens on 127.0.0.1 only.
set -euo pipefail

port="${CLOSELOOP_TEST_PG_PORT:-55432}"
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "Installing Debian's postgresql for the PostgreSQL tests" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >/dev/null
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi

data=$(mktemp -d /tmp/closeloop-pg.XXXXXX)
run=(); [ "$(id -u)" = 0 ] && { chown postgres "$data"; run=(runuser -u postgres --); }
"${run[@]}" "$bin/initdb" -D "$data" -A trust -U postgres >/dev/null
"${run[@]}" "$bin/pg_ctl" -D "$data" -o "-p $port -k $data -c listen_addresses=127.0.0.1" -l "$data/log" -w start >/dev/null
echo "postgres://postgres@127.0.0.1:$port/postgres"
