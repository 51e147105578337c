"""Showing failures as one sentence, never a traceback."""

from __future__ import annotations

import logging

import streamlit as st

from lmlab.errors import LMLabError, user_message

log = logging.getLogger("lmlab")


def show_error(error: BaseException) -> None:
    if not isinstance(error, LMLabError):
        log.exception("unexpected error", exc_info=error)
    st.error(user_message(error))
