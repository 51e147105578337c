"""The one place LM Lab reaches into Gradio's internals, for gr.ChatInterface only.

gr.ChatInterface creates its events itself, so it offers neither a concurrency_id
nor `preprocess=False`; every other event passes those as public arguments
(lmlab_gradio.common.queued and CHECKED_INPUTS). tests/test_gradio_internals.py
checks both adjustments on the installed Gradio, so an upgrade that changes them
fails there, by name.
"""

from __future__ import annotations

import functools
import math
from typing import Callable

import gradio as gr


def join_queue(blocks: gr.Blocks, handler_fn: Callable, concurrency_id: str,
               concurrency_limit: int | None = None) -> None:
    """Put every event that runs `handler_fn` into the concurrency group `concurrency_id`.

    Gradio creates its queues from these attributes of its event records when the
    app starts, so this must run before launch().
    """
    from lmlab_gradio.common import concurrency_limit_for

    for block_fn in blocks.fns.values():
        fn = block_fn.fn
        while fn is not None and fn is not handler_fn:
            fn = getattr(fn, "__wrapped__", None)
        if fn is handler_fn and block_fn.queue:
            block_fn.concurrency_id = concurrency_id
            block_fn.concurrency_limit = concurrency_limit or concurrency_limit_for(concurrency_id)


def harden_inputs(*components: gr.components.Component) -> None:
    """API arguments of the wrong type or range for these components fail with one
    sentence naming them (Gradio's own check raises a bare error)."""
    for component in components:
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
