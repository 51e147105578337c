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
import typing
from typing import Any, Callable

import gradio as gr

from lmlab.batching import MAX_BATCH as ENGINE_BATCH
from lmlab.errors import InputError, LMLabError, user_message
from lmlab.inputs import check_number, plain_text
from lmlab.markup import escape_html
from lmlab.loading import LoadedModel, default_store
from lmlab.registry import models_for
from lmlab.sources import first_available, where_label

log = logging.getLogger("lmlab.gradio")

try:  # ZeroGPU Spaces ship the `spaces` package; nowhere else needs it.
    import spaces  # type: ignore
except ImportError:
    spaces = None

ZERO_GPU = spaces is not None
# The longest GPU time any handler asks ZeroGPU for; each handler asks for what its
# work needs (`handler(seconds=...)`): shorter requests get better queue priority.
GPU_SECONDS = int(os.environ.get("LMLAB_GPU_SECONDS", "120"))
QUICK_SECONDS = 5  # one forward pass of a small model, with room for a cold start

# One queue per kind of model: a request waits for the one before it on the same
# kind of model. LMLAB_GRADIO_CONCURRENCY raises the limit on bigger hardware.
CONCURRENCY_LIMIT = int(os.environ.get("LMLAB_GRADIO_CONCURRENCY", "1"))
LM_QUEUE = "causal-lm"
SEQ2SEQ_QUEUE = "seq2seq"
VECTORS_QUEUE = "word-vectors"
# Text generation on a causal LM runs in its batching engine (lmlab/batching.py), which
# serves that many requests in one batch; later ones wait in Gradio's queue, which shows
# each user their place. (A ZeroGPU worker runs one request at a time.)
LM_CONCURRENCY = CONCURRENCY_LIMIT if ZERO_GPU else max(CONCURRENCY_LIMIT, ENGINE_BATCH)


def concurrency_limit_for(concurrency_id: str) -> int:
    return LM_CONCURRENCY if concurrency_id == LM_QUEUE else CONCURRENCY_LIMIT


def api_endpoint(fn: Callable, api_name: str, concurrency_id: str) -> None:
    """A typed API (and MCP) endpoint answering with numbers: gr.api reads the types from
    fn's signature and the descriptions from its docstring (Args: / Returns:)."""
    # This package postpones annotations (strings); gr.api needs the types themselves.
    inner = inspect.unwrap(fn)  # gr.api reads the signature, which follows __wrapped__
    inner.__annotations__ = fn.__annotations__ = typing.get_type_hints(inner)
    gr.api(fn, api_name=api_name, **queued(concurrency_id))


def queued(concurrency_id: str) -> dict:
    """Keyword arguments for an event that runs a model."""
    return dict(concurrency_id=concurrency_id,
                concurrency_limit=concurrency_limit_for(concurrency_id))


# Handlers check every argument themselves (as_text / as_number / the core's checks), so
# their events skip Gradio's component preprocessing, which answers a wrong type (a word
# for a slider) with a bare "Error" instead of a sentence naming the argument.
CHECKED_INPUTS = dict(preprocess=False)
# Views for the browser: their figures and HTML are no use to an API caller, who calls
# the endpoint of the same name that answers with numbers (gr.api, typed from its signature).
UI_ONLY = dict(api_visibility="private", preprocess=False)
# The default model of the API endpoints: embedded, so it loads offline.
EMBEDDED_LM = "HuggingFaceTB/SmolLM2-135M-Instruct"


def gpu_duration(fn: Callable, seconds: int | Callable[..., float]) -> Callable[..., int]:
    """ZeroGPU's `duration` for `fn`: called with fn's arguments, capped at GPU_SECONDS.

    A callable `seconds` gets the handler's arguments by name (defaults filled in).
    """
    signature = inspect.signature(fn)

    def duration(*args, **kwargs) -> int:
        try:
            if callable(seconds):
                bound = signature.bind_partial(*args, **kwargs)
                bound.apply_defaults()
                wanted = seconds(**bound.arguments)
            else:
                wanted = seconds
            return max(1, min(GPU_SECONDS, math.ceil(float(wanted))))
        except Exception:  # bad arguments: the handler itself answers with a sentence
            return QUICK_SECONDS
    return duration


def gpu(fn: Callable, seconds: int | Callable[..., float] = QUICK_SECONDS) -> Callable:
    """@spaces.GPU(duration=...) on ZeroGPU Spaces; the function itself everywhere else.

    `seconds` is a number or a function of the handler's arguments (ZeroGPU calls it
    with the same arguments), e.g. more seconds for more new tokens.
    """
    if spaces is None:
        return fn
    return spaces.GPU(duration=gpu_duration(fn, seconds))(fn)


def friendly(fn: Callable) -> Callable:
    """Turn any failure into gr.Error with one clear sentence (generators too)."""

    def to_gr_error(error: Exception) -> gr.Error:
        if not isinstance(error, LMLabError):
            log.exception("unexpected error in %s", fn.__name__)  # for the server log only
        # Gradio shows an error's message as HTML; ours may quote what the user typed.
        return gr.Error(escape_html(user_message(error), quote=False), print_exception=False)

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


def handler(fn: Callable | None = None, *, seconds: int | Callable[..., float] = QUICK_SECONDS):
    """A model-running event handler: GPU where there is ZeroGPU, friendly errors always.

    `@handler` asks for QUICK_SECONDS of GPU; `@handler(seconds=...)` for more.
    """
    if fn is None:
        return lambda f: friendly(gpu(f, seconds))
    return friendly(gpu(fn, seconds))


def seconds_for_tokens(per_token: float, base: float = QUICK_SECONDS) -> Callable[..., float]:
    """A GPU duration that grows with the handler's `max_new_tokens` argument."""
    def duration(max_new_tokens=256, **_arguments) -> float:
        return base + per_token * float(max_new_tokens)
    return duration


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
    from lmlab_gradio.i18n import L  # the label in the reader's language

    return gr.Dropdown(model_choices(tasks), value=default_model(tasks), label=L(label),
                       allow_custom_value=True)


def load(model_id: Any, purpose: str = "generate") -> LoadedModel:
    """The shared loaded model (the core refuses unknown ids with one sentence)."""
    model_id = as_text(model_id, "The model id").strip()
    if not model_id:
        raise InputError("Please choose a model.")
    return default_store().get(model_id, purpose)


# gr.ChatInterface builds its own events; the two adjustments it needs reach into
# Gradio's internals, kept in one small module (lmlab_gradio.internals) with its test.
from lmlab_gradio.internals import harden_inputs, join_queue  # noqa: E402,F401
