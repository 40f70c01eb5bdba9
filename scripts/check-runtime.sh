#!/usr/bin/env bash
# Prove requirements.txt alone runs the product: a throwaway virtualenv with only the runtime
# requirements imports every module of the apps and passes `manage.py check`. (The test
# environment has more installed, which could hide a missing runtime dependency.)
set -euo pipefail
cd "$(dirname "$0")/.."
DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
"${PYTHON:-python3}" -m venv "$DIR/venv"
"$DIR/venv/bin/python" -m pip install -q -r requirements.txt 2>&1 | grep -v "^WARNING: Location" || true
DATABASE_URL="sqlite:///$DIR/check.sqlite3" SPARK_INSIGHTS_DIR="$DIR/insights" "$DIR/venv/bin/python" - <<'PY'
import importlib, os, pkgutil, tomllib, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spark_portal.settings")
django.setup()
count = 0
with open("pyproject.toml", "rb") as f:  # every package of the project, as import-linter knows them
    apps = tomllib.load(f)["tool"]["importlinter"]["root_packages"]
for app in apps:
    package = importlib.import_module(app)
    for module in pkgutil.walk_packages(package.__path__, f"{app}."):
        if ".migrations." not in module.name:
            importlib.import_module(module.name)
            count += 1
print(f"runtime requirements import all {count} modules")
PY
DATABASE_URL="sqlite:///$DIR/check.sqlite3" "$DIR/venv/bin/python" manage.py check
