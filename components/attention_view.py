"""Attention captures and bertviz pages, cached per input in the session.

A rerun (moving a slider, switching tab) reuses the captured weights and the
built HTML instead of running the model or rebuilding the page again. The
cache is a small per-session dict, not st.cache_resource: captures belong to
one user's text, and the shared model cache stays the only resource cache.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from typing import Callable

import streamlit as st

from lmlab.attention import AttentionCapture, capture_attention
from lmlab.viz.bertviz_html import BertvizView, build_view
from lmlab.loading import LoadedModel
from lmlab.markup import sandboxed_document

# Widget and session keys of these controls (pages that share them import them from here).
ATT_CACHE = "att_cache"  # captures and bertviz pages per input, this session only


MAX_CAPTURES = 3  # each SmolLM2 capture of 128 tokens is ~18 MB
MAX_PAGES = 6  # each bertviz page is at most ~2 MB


def _cached(slot: str, limit: int, key: tuple, build: Callable):
    caches = st.session_state.setdefault(ATT_CACHE, {})
    cache: OrderedDict = caches.setdefault(slot, OrderedDict())
    if key in cache:
        cache.move_to_end(key)
        return cache[key]
    value = build()
    cache[key] = value
    while len(cache) > limit:
        cache.popitem(last=False)
    return value


def input_key(loaded: LoadedModel, text: str, continue_tokens: int) -> tuple:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return (loaded.spec.id, loaded.purpose, digest, int(continue_tokens))


def capture_for(loaded: LoadedModel, text: str, continue_tokens: int) -> AttentionCapture:
    """The capture for this input, running the model only the first time."""
    key = input_key(loaded, text, continue_tokens)

    def build():
        with st.spinner(f"Running {loaded.spec.name} with attention weights switched on…"):
            return capture_attention(loaded, text, continue_tokens)

    return _cached("captures", MAX_CAPTURES, key, build)


def bertviz_for(key: tuple, capture: AttentionCapture, view: str, first_layer: int,
                theme: str) -> BertvizView:
    return _cached("pages", MAX_PAGES, (*key, view, int(first_layer), theme),
                   lambda: build_view(capture, view, first_layer, theme))


def app_theme() -> str:
    """'dark' or 'light', following the theme the user's Streamlit app shows."""
    try:
        kind = st.context.theme.type
    except AttributeError:
        kind = None
    return "dark" if kind == "dark" else "light"


def show_bertviz(view: BertvizView) -> None:
    """The page in an iframe as tall as bertviz's layout, with the caps spelled out."""
    with st.container(key="att_bertviz_frame"):
        # bertviz runs inside a frame with an opaque origin: Streamlit's own frame may
        # reach the app, the inner one cannot.
        st.iframe(sandboxed_document(view.html, view.height, "bertviz attention view"),
                  height=view.height + 4)
    for note in view.notes:
        st.caption(f"ℹ️ {note}")
    st.caption(f"{view.n_tokens} tokens · layers {view.layers[0]}–{view.layers[-1]} · "
               f"{view.nbytes / 1e6:.2f} MB page, runs offline")
