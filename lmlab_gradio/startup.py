"""Models loaded when the Gradio app starts, before the first request.

On a ZeroGPU Space every @spaces.GPU handler runs in a worker forked for the
request: a model first loaded inside a handler would be loaded again in every
worker, inside the visitor's GPU time. Hugging Face's guidance is to load at
module level and move the models to the GPU there (ZeroGPU makes `.to("cuda")`
work outside the handlers and keeps the weights ready for the workers), so the
app loads each tab's default model into the shared store on start-up.
Elsewhere the same start-up makes the first visitor's request fast.
"""

from __future__ import annotations

import logging
import os
import time

from lmlab import seq2seq_engines
from lmlab.loading import default_store
from lmlab.registry import get_spec
from lmlab.sources import is_available
from lmlab_gradio.common import EMBEDDED_LM, ZERO_GPU, default_model

log = logging.getLogger("lmlab.gradio")


def zero_gpu_environment() -> None:
    """On ZeroGPU the store builds on "cuda" at start-up; the main process has no real GPU
    to ask for its memory or bfloat16 support, so those are set (any LMLAB_* value wins)."""
    if ZERO_GPU:
        os.environ.setdefault("LMLAB_DEVICE", "cuda")
        os.environ.setdefault("LMLAB_DTYPE", "bfloat16")
        os.environ.setdefault("LMLAB_MEMORY_BUDGET_MB", "24000")


def startup_models() -> list[tuple[str, str]]:
    """(model id, purpose) of every tab's default model that can load here."""
    wanted = [(default_model("chat") or EMBEDDED_LM, "generate"),
              (default_model("generate") or EMBEDDED_LM, "inspect"),  # probabilities, attention
              (default_model("word-vectors"), "generate")]
    targets = seq2seq_engines.target_languages("en")
    choices = [("summarize", seq2seq_engines.engine_specs("summarize"))]
    if targets:  # the Translate tab opens on English to its first target
        choices.append(("translate", seq2seq_engines.engine_specs("translate", ("en", targets[0]))))
    for task, choice in choices:
        for spec in choice.ready[:1]:
            wanted.append((spec.id, seq2seq_engines.purpose_for(spec, task)))
    pairs = []
    for model_id, purpose in wanted:
        if model_id and (model_id, purpose) not in pairs and is_available(get_spec(model_id)):
            pairs.append((model_id, purpose))
    return pairs


def preload(pairs: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    """Load `pairs` (default: startup_models()) into the shared store; returns those loaded.

    A model that fails is logged and left for its tab to report: start-up goes on.
    """
    loaded = []
    for model_id, purpose in startup_models() if pairs is None else pairs:
        start = time.perf_counter()
        try:
            model = default_store().get(model_id, purpose)
        except Exception:
            log.exception("could not load %s (%s) at start-up", model_id, purpose)
            continue
        loaded.append((model_id, purpose))
        log.info("loaded %s (%s) on %s in %.1f s", model_id, purpose, model.device,
                 time.perf_counter() - start)
    return loaded
