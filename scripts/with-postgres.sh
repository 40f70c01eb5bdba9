#!/usr/bin/env bash
# Run a command with DATABASE_URL pointing at a throwaway PostgreSQL server on 127.0.0.1.
# The server lives in a temporary directory and is stopped and deleted when the command ends.
set -euo pipefail
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [[ -z "$PGBIN" ]]; then
  echo "PostgreSQL is not installed (scripts/setup.sh --dev installs it)" >&2
  exit 1
fi
DIR=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as_pg() { if [[ $(id -u) -eq 0 ]]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
[[ $(id -u) -eq 0 ]] && chown postgres "$DIR"
as_pg "$PGBIN/initdb -D $DIR/data -A trust -U spark --no-sync >/dev/null"
as_pg "$PGBIN/pg_ctl -D $DIR/data -l $DIR/log -w -o \"-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off\" start >/dev/null"
cleanup() { as_pg "$PGBIN/pg_ctl -D $DIR/data -m immediate stop >/dev/null" || true; rm -rf "$DIR"; }
trap cleanup EXIT
SPARK_PG_LOG="$DIR/log" DATABASE_URL="postgres://spark@127.0.0.1:$PORT/postgres" "$@"
