"""The only st.cache_resource in LM Lab: one ModelStore per server process.

Every session shares the loaded models; each model has its own lock
(lmlab.loading.LoadedModel.lock) so concurrent users take turns.
"""

from __future__ import annotations

import streamlit as st

from components.load_retry import show_load_failure
from components.i18n import t, tm
from lmlab.errors import LMLabError, user_message
from lmlab.loading import LoadedModel, ModelStore
from lmlab.registry import get_spec


@st.cache_resource(show_spinner=False)
def model_store() -> ModelStore:
    return ModelStore()


def load_model(model_id: str, purpose: str = "generate") -> LoadedModel | None:
    """The shared model, loading it with a spinner; None after showing an error."""
    store = model_store()
    try:
        spec = get_spec(model_id)
        if store.is_loaded(spec.id, purpose):
            return store.get(spec.id, purpose)
        with st.spinner(t("Loading {name} ({size})… the first load of an embedded model "
                          "converts it once and can take half a minute.",
                          name=spec.name, size=spec.size_label)):
            return store.get(spec.id, purpose)
    except Exception as error:  # never a traceback in the UI; a Retry where it may help
        show_load_failure(store, model_id, purpose, error)
    return None
