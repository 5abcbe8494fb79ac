#!/usr/bin/env bash
# Installs the Debian `postgresql` package when no PostgreSQL server binaries are present,
# for the real-server tests and benchmarks (tests/support/postgres-server.ts looks in the
# same places: AGENTGATE_PG_BIN, /usr/lib/postgresql/<version>/bin, /usr/local/bin, /usr/bin).
# Non-interactive; a no-op when the binaries are already there.
set -euo pipefail

have_server() {
  local dir
  if [[ -n "${AGENTGATE_PG_BIN:-}" ]]; then
    [[ -x "$AGENTGATE_PG_BIN/initdb" && -x "$AGENTGATE_PG_BIN/postgres" ]]
    return
  fi
  for dir in /usr/lib/postgresql/*/bin /usr/local/pgsql/bin /usr/local/bin /usr/bin; do
    [[ -x "$dir/initdb" && -x "$dir/postgres" ]] && return 0
  done
  return 1
}

if have_server; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-postgres: no PostgreSQL server binaries and no apt-get; install PostgreSQL or set AGENTGATE_PG_BIN" >&2
  exit 1
fi

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "ensure-postgres: installing postgresql needs root (or sudo)" >&2
    exit 1
  fi
fi

echo "ensure-postgres: installing the Debian postgresql package" >&2
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql

if ! have_server; then
  echo "ensure-postgres: postgresql installed but initdb/postgres still not found" >&2
  exit 1
fi
