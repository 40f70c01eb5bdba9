#!/usr/bin/env bash
# Set up and serve Spark Portal with embedded defaults: SQLite, demo data, gunicorn on HOST:PORT.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
WORKERS=${WEB_CONCURRENCY:-2}
PY=.venv/bin/python

# Served with Django's debug pages off (a 404 would list the URL map, a 500 show a traceback), as a
# local run: plain http on loopback, a throwaway key, mail printed here (SPARK_LOCAL). DEBUG=1 turns
# the debug pages on; DEBUG=0 given explicitly means production (SECRET_KEY, ALLOWED_HOSTS and an
# https SPARK_PUBLIC_URL required).
if [[ -z "${DEBUG:-}" ]]; then
  export DEBUG=0 SPARK_LOCAL="${SPARK_LOCAL:-1}"
  # A local run may stream audit events to a receiver on this machine (docs/policies.md).
  export SPARK_AUDIT_STREAM_ALLOW_LOCAL="${SPARK_AUDIT_STREAM_ALLOW_LOCAL:-1}"
fi

$PY manage.py migrate --noinput -v 0
if [[ "$DEBUG" =~ ^(0|false|no|off)$ ]]; then
  $PY manage.py collectstatic --noinput -v 0  # without DEBUG, whitenoise serves the collected files
fi
SEED=$($PY manage.py seed_demo ${DEMO_PASSWORD:+--password "$DEMO_PASSWORD"})
$PY manage.py build_insights --if-missing

BASE=${SPARK_PUBLIC_URL:-http://$HOST:$PORT}
cat <<MSG

  Spark Portal is starting.
    Portal:   $BASE/
    MCP URL:  $BASE/mcp   (also $BASE/v1/spark-api/mcp)
    Admin:    $BASE/admin/ (create a staff user with: .venv/bin/python manage.py createsuperuser)

  Demo sign-in (organization Acme Research, domain acme.example):
$(echo "$SEED" | grep '^demo user' | sed 's/^/    /')

  Create a token at $BASE/settings/tokens/ or with:
    .venv/bin/python manage.py create_access_token --email member@acme.example --name my-agent

MSG
# The audit stream loop (docs/operations.md, Audit streams): beside gunicorn, which takes this shell's
# process ID with `exec` below, and ends when gunicorn has.
$PY manage.py deliver_audit_events --exit-with $$ &
# The access log leaves out query strings (%(U)s, not %(r)s): a client that puts a token in the URL
# is refused, and its token must not end up in the log either.
# -c python:ops.gunicorn_hooks: metrics in gunicorn's multiprocess mode (PROMETHEUS_MULTIPROC_DIR, or a
# private temporary folder) and the hook that cleans up after a dead worker.
exec .venv/bin/gunicorn -c python:ops.gunicorn_hooks spark_portal.wsgi:application --bind "$HOST:$PORT" --workers "$WORKERS" \
  --access-logfile - --access-logformat '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss "%(a)s"' \
  --forwarded-allow-ips="${FORWARDED_ALLOW_IPS:-127.0.0.1}"
