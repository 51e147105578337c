"""A picker for Hub-only models (fine-tuned classifiers, extractive QA) inside a page."""

from __future__ import annotations

import streamlit as st

from components import url_state
from components.i18n import t, tm
from components.model_cache import load_model
from lmlab.loading import LoadedModel
from lmlab.registry import ModelSpec, models_for
from lmlab.sources import where_label


def hub_model_choice(task: str, label: str, key: str, offline_note: str, *,
                     disabled: bool = False) -> ModelSpec | None:
    """The chosen catalog model for `task`, or None (with `offline_note`) when it cannot load.

    `label` and `offline_note` come translated from the page; the "needs internet"
    marking is the same rule as every other model picker (lmlab.sources.where_label);
    `disabled` when a teacher's link locks the choice.
    """
    specs = models_for(task)
    names = {s.id: t("{name} · needs internet", name=s.name)
             if where_label(s) == "needs internet" else s.name for s in specs}
    model_id = st.selectbox(label, list(names), format_func=names.get, key=key,
                            disabled=disabled)
    spec = next(s for s in specs if s.id == model_id)
    st.caption(tm(spec.description))
    if where_label(spec) == "needs internet":
        st.info(offline_note)
        return None
    return spec


def hub_model_loaded(task: str, label: str, key: str, offline_note: str, *,
                     purpose: str = "generate",
                     disabled: bool = False) -> tuple[ModelSpec, LoadedModel] | None:
    """hub_model_choice, then that model loaded for `purpose`: (spec, loaded), or None
    when it cannot load here (the picker or the loader has already said why)."""
    spec = hub_model_choice(task, label, key, offline_note, disabled=disabled)
    if spec is None:
        return None
    loaded = load_model(spec.id, purpose)
    return None if loaded is None else (spec, loaded)


def hub_model_settings(task: str, name: str, key: str, what: str) -> list[url_state.Setting]:
    """The Hub model choice for `task` as a link setting, when the catalog lists any."""
    ids = [s.id for s in models_for(task)]
    return [url_state.choice(name, key, ids[0], ids, what=what)] if ids else []
