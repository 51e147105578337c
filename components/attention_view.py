"""Attention captures and bertviz pages, cached per input in the session.

A rerun (moving a slider, switching tab) reuses the captured weights and the
built HTML instead of running the model or rebuilding the page again. The
cache is the session memo (components.memo): captures belong to one user's
text, so they are kept per session, never in the process-wide model cache.
"""

from __future__ import annotations

import hashlib
from typing import Callable

import streamlit as st

from components.memo import session_memo
from components.i18n import t

from lmlab.attention import AttentionCapture, capture_attention
from lmlab.viz.bertviz_html import BertvizView, build_view
from lmlab.loading import LoadedModel
from lmlab.markup import sandboxed_document

# Widget and session keys of these controls (pages that share them import them from here).
ATT_CACHE = "att_cache"  # captures and bertviz pages per input, this session only


MAX_CAPTURES = 3  # each SmolLM2 capture of 128 tokens is ~18 MB
MAX_PAGES = 6  # each bertviz page is at most ~2 MB


def _cached(slot: str, limit: int, key: tuple, build: Callable):
    return session_memo(f"{ATT_CACHE}_{slot}", key, build, keep=limit)


def input_key(loaded: LoadedModel, text: str, continue_tokens: int) -> tuple:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return (loaded.spec.id, loaded.purpose, digest, int(continue_tokens))


def capture_for(loaded: LoadedModel, text: str, continue_tokens: int) -> AttentionCapture:
    """The capture for this input, running the model only the first time."""
    key = input_key(loaded, text, continue_tokens)

    def build():
        with st.spinner(t("Running {name} with attention weights switched on…",
                          name=loaded.spec.name)):
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
    st.caption(t("{n_tokens} tokens · layers {value}–{value2} · {number} MB page, runs "
                 "offline",
                 n_tokens=view.n_tokens, value=view.layers[0], value2=view.layers[-1], number=f"{view.nbytes / 1e6:.2f}"))
