"""A model that failed to load: its sentence, and a Retry button that skips the pause."""

from __future__ import annotations

import streamlit as st

from components.errors import show_error
from components.i18n import t
from lmlab.errors import LMLabError
from lmlab.loading import ModelStore


def show_load_failure(store: ModelStore, model_id: str, purpose: str,
                      error: BaseException) -> None:
    """The failure as one sentence; a Retry button when loading can be tried again."""
    show_error(error)
    try:
        failed = store.failed(model_id, purpose)
    except LMLabError:  # an id outside the catalog: nothing to retry
        return
    if failed and st.button(t("Retry"), key=f"lmlab-retry-{model_id}-{purpose}",
                            icon=":material/refresh:"):
        store.retry(model_id, purpose)
        st.rerun()
