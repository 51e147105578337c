"""What every tab shares: model choices, the model store, errors, queues, ZeroGPU.

- Models come from the core's process-wide store (lmlab.loading.default_store),
  which resolves Hub / HF_ENDPOINT mirror / HF_HUB_OFFLINE through lmlab.sources.
- Every failure reaches the user as a gr.Error with one sentence
  (lmlab.errors.user_message); the server keeps serving.
- Events that run a model join a concurrency group per kind of model, so
  concurrent users wait in the queue instead of failing on a busy model.
- On a ZeroGPU Space (the `spaces` package is importable) model-running
  handlers are wrapped with @spaces.GPU; elsewhere `gpu` changes nothing.
"""

from __future__ import annotations

import functools
import inspect
import logging
import math
import os
from typing import Any, Callable

import gradio as gr

from lmlab.batching import MAX_BATCH as ENGINE_BATCH
from lmlab.errors import InputError, LMLabError, user_message
from lmlab.inputs import check_number, plain_text
from lmlab.loading import LoadedModel, default_store
from lmlab.registry import models_for
from lmlab.sources import first_available, where_label

log = logging.getLogger("lmlab.gradio")

try:  # ZeroGPU Spaces ship the `spaces` package; nowhere else needs it.
    import spaces  # type: ignore
except ImportError:
    spaces = None

ZERO_GPU = spaces is not None
GPU_SECONDS = int(os.environ.get("LMLAB_GPU_SECONDS", "60"))

# One queue per kind of model: a request waits for the one before it on the same
# kind of model. LMLAB_GRADIO_CONCURRENCY raises the limit on bigger hardware.
CONCURRENCY_LIMIT = int(os.environ.get("LMLAB_GRADIO_CONCURRENCY", "1"))
LM_QUEUE = "causal-lm"
SEQ2SEQ_QUEUE = "seq2seq"
ENCODER_QUEUE = "encoder"
VECTORS_QUEUE = "word-vectors"
TRAINING_QUEUE = "training"
# Text generation on a causal LM runs in its batching engine (lmlab/batching.py), which
# serves that many requests in one batch; later ones wait in Gradio's queue, which shows
# each user their place. (A ZeroGPU worker runs one request at a time.)
LM_CONCURRENCY = CONCURRENCY_LIMIT if ZERO_GPU else max(CONCURRENCY_LIMIT, ENGINE_BATCH)


def concurrency_limit_for(concurrency_id: str) -> int:
    return LM_CONCURRENCY if concurrency_id == LM_QUEUE else CONCURRENCY_LIMIT


def queued(concurrency_id: str) -> dict:
    """Keyword arguments for an event that runs a model."""
    return dict(concurrency_id=concurrency_id,
                concurrency_limit=concurrency_limit_for(concurrency_id))


def gpu(fn: Callable) -> Callable:
    """@spaces.GPU on ZeroGPU Spaces; the function itself everywhere else."""
    if spaces is None:
        return fn
    return spaces.GPU(duration=GPU_SECONDS)(fn)


def friendly(fn: Callable) -> Callable:
    """Turn any failure into gr.Error with one clear sentence (generators too)."""

    def to_gr_error(error: Exception) -> gr.Error:
        if not isinstance(error, LMLabError):
            log.exception("unexpected error in %s", fn.__name__)  # for the server log only
        return gr.Error(user_message(error), print_exception=False)

    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def stream(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except gr.Error:
                raise
            except Exception as error:
                raise to_gr_error(error) from error
        return stream

    @functools.wraps(fn)
    def call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except Exception as error:
            raise to_gr_error(error) from error
    return call


def handler(fn: Callable) -> Callable:
    """A model-running event handler: GPU where there is ZeroGPU, friendly errors always."""
    return friendly(gpu(fn))


# ---- arguments arriving through the API may be missing or of the wrong type ----

def as_text(value: Any, label: str) -> str:
    """Text from an API caller, cleaned as every input is (lmlab.inputs.plain_text)."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise InputError(f"{label} must be text.")
    return plain_text(value)


def as_number(value: Any, label: str, low: float, high: float, integer: bool = False):
    """A number within [low, high], or InputError naming the argument and its range."""
    return check_number(value, name=label, low=low, high=high, integer=integer)


# ---- models ----

def _specs(tasks: str | tuple[str, ...]) -> list:
    tasks = (tasks,) if isinstance(tasks, str) else tasks
    return [spec for task in tasks for spec in models_for(task)]


def model_choices(tasks: str | tuple[str, ...]) -> list[tuple[str, str]]:
    """(label, id) pairs for a dropdown: name, size and where it loads from."""
    choices, seen = [], set()
    for spec in _specs(tasks):
        if spec.id in seen:  # a run-time registration shadows a catalog-file entry
            continue
        seen.add(spec.id)
        choices.append((f"{spec.name} · {spec.size_label} · {where_label(spec)}", spec.id))
    return choices


def default_model(tasks: str | tuple[str, ...]) -> str | None:
    """The first model of the task(s) that can load here (embedded copies offline)."""
    spec = first_available(_specs(tasks))
    return spec.id if spec else None


def model_dropdown(tasks: str | tuple[str, ...], label: str = "Model") -> gr.Dropdown:
    # Custom values pass through to the core, which refuses ids outside the catalog
    # with its own sentence (or loads them when LMLAB_ALLOW_ANY_MODEL=1).
    return gr.Dropdown(model_choices(tasks), value=default_model(tasks), label=label,
                       allow_custom_value=True)


def load(model_id: Any, purpose: str = "generate") -> LoadedModel:
    """The shared loaded model (the core refuses unknown ids with one sentence)."""
    model_id = as_text(model_id, "The model id").strip()
    if not model_id:
        raise InputError("Please choose a model.")
    return default_store().get(model_id, purpose)


def join_queue(blocks: gr.Blocks, handler_fn: Callable, concurrency_id: str) -> None:
    """Put every event that runs `handler_fn` into the per-model concurrency group.

    gr.ChatInterface takes a concurrency_limit but no concurrency_id; this puts its
    events in the same queue as the other tabs' events on the same kind of model.
    Gradio creates its queues from these attributes when the app starts.
    """
    for block_fn in blocks.fns.values():
        fn = block_fn.fn
        while fn is not None and fn is not handler_fn:
            fn = getattr(fn, "__wrapped__", None)
        if fn is handler_fn and block_fn.queue:
            block_fn.concurrency_id = concurrency_id
            block_fn.concurrency_limit = concurrency_limit_for(concurrency_id)


def harden_inputs(blocks: gr.Blocks) -> None:
    """Make API arguments of the wrong type or range fail with one sentence naming them.

    Gradio checks sliders, numbers and choices before the handler runs; a string
    for a slider would otherwise surface as an internal error instead of a
    sentence the caller can act on.
    """
    for component in blocks.blocks.values():
        if isinstance(component, (gr.Slider, gr.Number)):
            low = component.minimum if component.minimum is not None else -math.inf
            high = component.maximum if component.maximum is not None else math.inf
            message = f"{component.label or 'This value'} must be a number between {low:g} and {high:g}."
        elif isinstance(component, (gr.Radio, gr.CheckboxGroup)) or (
                isinstance(component, gr.Dropdown) and not component.allow_custom_value):
            options = "; ".join(str(value) for _, value in component.choices)
            message = f"{component.label or 'This choice'} must come from: {options}."
        else:
            continue
        component.preprocess = _sentence_on_failure(component.preprocess, message)


def _sentence_on_failure(preprocess: Callable, message: str) -> Callable:
    @functools.wraps(preprocess)
    def checked(payload):
        if isinstance(payload, bool):  # True is an int to Python, not a number to a user
            raise gr.Error(message, print_exception=False)
        try:
            return preprocess(payload)
        except Exception:
            raise gr.Error(message, print_exception=False) from None
    return checked
