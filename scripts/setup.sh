#!/usr/bin/env bash
# Install everything Spark Portal needs on a fresh Debian machine (idempotent).
#   scripts/setup.sh           runtime only: Python virtualenv with the pinned requirements
#   scripts/setup.sh --dev     + test tools: Chromium, PostgreSQL, wrk, nginx, openssl (apt),
#                              Node 22, the MCP Inspector CLI and the MCP conformance suite (npm,
#                              in tools/)
set -euo pipefail
cd "$(dirname "$0")/.."

DEV=0
[[ "${1:-}" == "--dev" ]] && DEV=1

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  ((${#missing[@]})) || return 0
  say "apt-get install ${missing[*]}"
  local sudo=""
  [[ $(id -u) -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

PY=${PYTHON:-python3}
"$PY" -c "import venv, ensurepip" 2>/dev/null || apt_install python3-venv
if ((DEV)); then
  apt_install chromium postgresql wrk nginx openssl
fi

if [[ ! -x .venv/bin/python ]]; then
  say "creating .venv"
  $PY -m venv .venv
fi
REQ=requirements.txt
((DEV)) && REQ=requirements-dev.txt
STAMP=.venv/.installed-$(sha256sum requirements.txt requirements-dev.txt | sha256sum | cut -c1-16)-$DEV
# A --dev install holds the runtime requirements too: its stamp serves both.
if [[ ! -f $STAMP && ! -f ${STAMP%-0}-1 ]]; then
  say "pip install -r $REQ"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r "$REQ"
  touch "$STAMP"
fi

if ((DEV)); then
  NPM_STAMP=tools/node_modules/.installed-$(sha256sum tools/package.json tools/package-lock.json 2>/dev/null | sha256sum | cut -c1-16)
  if [[ ! -f $NPM_STAMP ]]; then
    say "npm install (Node 22, MCP Inspector, MCP conformance suite) in tools/"
    (cd tools && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    # node@22 puts its binary in place from a preinstall script; run it if npm skipped it.
    if ! tools/node_modules/.bin/node --version >/dev/null 2>&1; then
      (cd tools && npm rebuild node --foreground-scripts >/dev/null)
    fi
    tools/node_modules/.bin/node --version >/dev/null
    touch "$NPM_STAMP"
  fi
fi
say "setup done"
