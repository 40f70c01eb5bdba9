#!/usr/bin/env bash
# Set up everything and run the whole test suite: lint, unit and integration tests on SQLite,
# the same tests on PostgreSQL, and end-to-end tests against a real gunicorn server driven by
# Chromium, the official MCP SDK client, the MCP Inspector CLI and the MCP conformance suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
PY=.venv/bin/python
export SPARK_TESTING=1

echo "==> runtime requirements alone"
bash scripts/check-runtime.sh

echo "==> ruff"
.venv/bin/ruff format --check .
.venv/bin/ruff check .

echo "==> import layering (import-linter: docs/architecture.md)"
.venv/bin/lint-imports

echo "==> mypy"
.venv/bin/mypy

echo "==> pytest on PostgreSQL (unit and integration, then the OAuth, insights, production-front, fuzz, rate-limit, SCIM, data-swap, backup-restore and shared-store end-to-end tests)"
bash scripts/with-postgres.sh bash -c "$PY -m pytest tests --ignore=tests/e2e -q -p no:cacheprovider && \
  SPARK_E2E_USE_DATABASE_URL=1 $PY -m pytest -q -p no:cacheprovider \
    tests/e2e/test_oauth_sdk_client.py tests/e2e/test_insights_sdk.py tests/e2e/test_inspector_cli.py \
    tests/e2e/test_production_front.py tests/e2e/test_fuzz.py tests/e2e/test_limits.py tests/e2e/test_scim_compliance.py \
    tests/e2e/test_data_swap.py tests/e2e/test_backup_restore.py tests/e2e/test_shared_store.py"

echo "==> pytest on SQLite (everything, end-to-end included)"
$PY -m pytest tests -p no:cacheprovider "$@"
