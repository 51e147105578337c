"""The Gradio app on ZeroGPU, with a stand-in for the `spaces` package that records what
the app asks of it: models loaded at import (module level, before any request), and each
handler's GPU duration sized to its work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SPACES = '''
import json
durations = {}
def GPU(duration=60):
    def wrap(fn):
        durations[fn.__name__] = duration
        return fn
    return wrap
'''

PROBE = '''
import json, spaces
import gradio_app
from lmlab.loading import default_store
d = spaces.durations
print(json.dumps({
    "loaded": sorted(map(list, default_store().loaded_keys())),
    "next_token": d["next_token"]("the cat"),
    "generate_64": d["generate"]("hi", "m", 64),
    "generate_1024": d["generate"]("hi", "m", 1024),
    "generate_huge": d["generate"]("hi", "m", 100_000),
    "chat_default": d["chat"]("hi", [], "m"),
    "summarize": d["summarize"]("text"),
}))
'''


def test_zero_gpu_loads_models_at_import_and_sizes_gpu_time(tmp_path):
    (tmp_path / "spaces.py").write_text(SPACES)
    # No GPU here: the store builds on the CPU (ZeroGPU's own default is "cuda").
    env = dict(os.environ, PYTHONPATH=f"{tmp_path}{os.pathsep}{ROOT}", HF_HUB_OFFLINE="1",
               LMLAB_DEVICE="cpu", LMLAB_GPU_SECONDS="90")
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert ["HuggingFaceTB/SmolLM2-135M-Instruct", "generate"] in result["loaded"]
    assert ["HuggingFaceTB/SmolLM2-135M-Instruct", "inspect"] in result["loaded"]
    assert ["glove-6B-50d", "generate"] in result["loaded"]
    assert result["next_token"] == 5  # one forward pass
    assert 5 < result["generate_64"] < result["generate_1024"] < result["generate_huge"] == 90
    assert result["chat_default"] > result["next_token"] and result["summarize"] == 60
