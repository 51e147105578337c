"""Showing failures as one sentence, never a traceback; one way for every page."""

from __future__ import annotations

import contextlib
import logging
from typing import Callable, Iterator, TypeVar

import streamlit as st

from components.i18n import tm
from lmlab.errors import LMLabError, user_message
from lmlab.markup import escape_markdown

log = logging.getLogger("lmlab")
T = TypeVar("T")


def show_error(error: BaseException) -> None:
    if not isinstance(error, LMLabError):
        log.exception("unexpected error", exc_info=error)
    # The core writes English sentences; they are translated here, numbers kept.
    # Sentences may quote what the user typed: shown as typed, never as links or images.
    st.error(escape_markdown(tm(user_message(error))), icon="⚠️")


@contextlib.contextmanager
def shown_errors(on_error: Callable[[], None] | None = None) -> Iterator[None]:
    """Run a page's model work; any failure becomes one sentence in the page.

    `on_error` clears what the failed run left behind (a half-written output, a
    stale result in the session), whatever the kind of failure.
    Streamlit's own control flow (st.rerun, st.stop) passes through untouched.
    """
    try:
        yield
    except Exception as error:
        if _is_streamlit_control_flow(error):
            raise
        if on_error is not None:
            on_error()
        show_error(error)


def _is_streamlit_control_flow(error: BaseException) -> bool:
    # RerunException / StopException subclass ScriptControlException.
    from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException
    return isinstance(error, ScriptControlException)


def shown_result(compute: Callable[[], T], on_error: Callable[[], None] | None = None
                 ) -> T | None:
    """compute(), or None after showing its failure as one sentence (for an early return)."""
    with shown_errors(on_error):
        return compute()
    return None
