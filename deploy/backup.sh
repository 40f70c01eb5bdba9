#!/usr/bin/env bash
# Back up Spark Portal's PostgreSQL database: `pg_dump --format=custom` of DATABASE_URL into
# <directory>/spark-<UTC time>.dump, checked readable with `pg_restore --list`, then the file named by
# SPARK_LAST_BACKUP_FILE is rewritten (its time is the last good backup's; the status page reads it).
#
#   set -a; . /etc/spark-portal/env; set +a
#   bash deploy/backup.sh /var/backups/spark-portal      # default: $SPARK_BACKUP_DIR, else var/backups
#
# The database is all there is to back up: survey data is rebuilt (`manage.py build_insights`) or
# re-imported (`manage.py import_survey`). Keep SECRET_KEY with the backups (not in them):
# docs/operations.md, Backups and restore, says why and how to restore. pg_dump must be the server's major
# version or newer: PG_BIN names its folder, else the newest /usr/lib/postgresql/*/bin, else PATH.
# The password in DATABASE_URL is handed to pg_dump in its environment, never on its command line.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
: "${DATABASE_URL:?DATABASE_URL is not set (the environment file: set -a; . /etc/spark-portal/env; set +a)}"
case "$DATABASE_URL" in
  postgres://* | postgresql://*) ;;
  *) echo "deploy/backup.sh backs up PostgreSQL only; DATABASE_URL is not a postgres:// URL" >&2; exit 2 ;;
esac
TARGET="${1:-${SPARK_BACKUP_DIR:-$ROOT/var/backups}}"
LAST="${SPARK_LAST_BACKUP_FILE:-$ROOT/var/last-backup}"
PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}"
pg() {
  local tool=$1
  shift
  if [[ -n "$PG_BIN" && -x "$PG_BIN/$tool" ]]; then "$PG_BIN/$tool" "$@"; else "$tool" "$@"; fi
}

# DATABASE_URL split into libpq's variables (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE, and
# sslmode-like query parameters as PGSSLMODE…), so no password shows in `ps`.
eval "$(python3 - <<'PY'
import os, shlex
from urllib.parse import parse_qsl, unquote, urlsplit
url = urlsplit(os.environ["DATABASE_URL"])
values = {"PGHOST": url.hostname, "PGPORT": url.port, "PGUSER": url.username and unquote(url.username),
          "PGPASSWORD": url.password and unquote(url.password), "PGDATABASE": unquote(url.path.lstrip("/"))}
values.update({f"PG{key.upper()}": value for key, value in parse_qsl(url.query)})
for name, value in values.items():
    if value not in (None, ""):
        print(f"export {name}={shlex.quote(str(value))}")
PY
)"
unset DATABASE_URL

umask 077
mkdir -p "$TARGET"
FILE="$TARGET/spark-$(date -u +%Y%m%dT%H%M%SZ).dump"
trap 'rm -f "$FILE.partial"' EXIT   # a failed dump leaves nothing that looks like a backup
pg pg_dump --format=custom --file="$FILE.partial"
pg pg_restore --list "$FILE.partial" >/dev/null   # a complete, readable archive
mv "$FILE.partial" "$FILE"

mkdir -p "$(dirname "$LAST")"
umask 022
printf '%s\n' "$FILE" >"$LAST.tmp" && mv "$LAST.tmp" "$LAST"
echo "backed up to $FILE ($(du -h "$FILE" | cut -f1))"
