"""One working text and model that the inspection pages carry from page to page.

Typed once on Next token, it is the text on Token probabilities, Attention and
Attention math; a page that changes it changes it for the next page too. The
model chosen for a task is carried the same way. "Open in …" buttons open
another view on the same text (and a chosen token) through a link, so the
destination restores it exactly as a shared link would.
"""

from __future__ import annotations

import streamlit as st

from components import state, url_state
from components.i18n import t
from lmlab.registry import models_for
from lmlab.share_link import pack_text
from lmlab.sources import is_available

MAX_WORKING_CHARS = 2000  # the longest text the inspection pages take


def current_text(sample: str) -> str:
    """The working text, or the page's sample when nothing has been typed yet."""
    return st.session_state.get(state.WORKING_TEXT) or sample


def text_setting(key: str, sample: str, *, max_chars: int = MAX_WORKING_CHARS,
                 name: str = "text") -> url_state.Setting:
    """The page's text widget, seeded from (and carried into) the working text."""
    return url_state.text(name, key, lambda: current_text(sample)[:max_chars],
                          max_chars=max_chars, shared=state.WORKING_TEXT)


def model_setting(task: str) -> url_state.Setting:
    """The sidebar model for `task`, carried between pages and written to the link."""
    specs = models_for(task)
    ids = [s.id for s in specs]
    carried = f"{state.WORKING_MODEL}_{task}"

    def default() -> str | None:
        if st.session_state.get(carried) in ids:
            return st.session_state[carried]
        available = [s.id for s in specs if is_available(s)]
        return (available or ids or [None])[0]

    return url_state.choice("model", state.model_key(task), default, ids, what="model",
                            shared=carried)


def open_in(page_path: str, label: str, *, text: str, key: str, position: int | None = None,
            model: str | None = None, help: str | None = None, where=st) -> None:
    """A button that opens `page_path` on `text` (and token `position`), like a shared link."""
    if where.button(label, key=key, help=help):
        st.session_state[state.WORKING_TEXT] = text
        params = {"text": pack_text(text)}
        if position is not None:
            params["pos"] = str(position)
        if model:
            params["model"] = model
        for flag in ("present", "lock", "hide"):  # a class keeps its teacher's settings
            if flag in st.query_params:
                params[flag] = st.query_params[flag]
        url_state.switch_to(page_path, params)


def open_in_label(title: str) -> str:
    return f"↗ {t('Open in')} {t(title)}"
