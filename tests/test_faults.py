"""Faults a classroom meets: memory running short, an upload nobody asked for.

(A mirror that never answers, a failed load then a retry, an unwritable conversion
cache and a Hub-only model offline are in test_startup.py and test_conversion.py.)
"""

from __future__ import annotations

import contextlib

import pytest
import torch

from lmlab.errors import GENERIC_MESSAGE, OUT_OF_MEMORY_MESSAGE, user_message
from lmlab.loading import default_store
from test_gradio_api import app_error, client, demo, free_port, tiny_registered  # noqa: F401

LONG_TEXT = "the cat sat on the mat " * 12  # well inside the limits, but "too big" below


@contextlib.contextmanager
def short_of_memory(model, max_tokens: int):
    """The model raises torch's out-of-memory error on inputs over `max_tokens` tokens,
    as a GPU does when a long input's activations do not fit."""
    def hook(module, args, kwargs):
        ids = kwargs.get("input_ids", args[0] if args else None)
        if ids is not None and ids.shape[-1] > max_tokens:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")

    handle = model.register_forward_pre_hook(hook, with_kwargs=True)
    try:
        yield
    finally:
        handle.remove()


def test_out_of_memory_is_a_sentence_and_trims_the_cache(client):  # noqa: F811
    store = default_store()
    other = store.get("tiny/bert")  # something else loaded, to be unloaded
    loaded = store.get("tiny/gpt2", "inspect")
    assert ("tiny/bert", "generate") in store.loaded_keys() and other is not None
    with short_of_memory(loaded.model, max_tokens=20):
        message = app_error(client, LONG_TEXT, "tiny/gpt2", 3, api_name="/token_probabilities")
        assert OUT_OF_MEMORY_MESSAGE in message and GENERIC_MESSAGE not in message
        assert ("tiny/bert", "generate") not in store.loaded_keys()  # trimmed
        # A shorter text still works on the same model: nothing stays broken.
        numbers = client.predict("the cat sat", "tiny/gpt2", 3, api_name="/token_probabilities")
        assert numbers["perplexity"] > 1


def test_user_message_for_memory_errors():
    assert user_message(MemoryError()) == OUT_OF_MEMORY_MESSAGE
    assert user_message(RuntimeError("MPS backend out of memory")) == OUT_OF_MEMORY_MESSAGE
    assert user_message(RuntimeError("shape mismatch")) == GENERIC_MESSAGE


def test_gradio_refuses_uploads_over_its_cap(tiny_registered):  # noqa: F811
    import urllib.error
    import urllib.request

    import gradio_app

    app = gradio_app.build_demo()
    options = {k: v for k, v in gradio_app.LAUNCH_OPTIONS.items() if k != "theme"}
    app.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=free_port(),
               quiet=True, **options)
    try:
        boundary = "lmlabboundary"
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; "
                f"filename=\"big.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                ).encode() + b"\0" * 3_000_000 + f"\r\n--{boundary}--\r\n".encode()
        request = urllib.request.Request(
            app.local_url.rstrip("/") + "/gradio_api/upload", data=body, method="POST",
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(request, timeout=30)
        assert info.value.code == 413
    finally:
        app.close()
