"""The shared sidebar: language, device, and a model picker with its card."""

from __future__ import annotations

import streamlit as st

from components import state
from components.i18n import LANGUAGES, t, tm
from components.model_cache import load_model, model_store
from components.text_source import local_copy_caption, show_text_source
from lmlab.device import describe_device
from lmlab.loading import LoadedModel
from lmlab.registry import ModelSpec, models_for
from lmlab.sources import first_available, where_label


def shared_sidebar() -> None:
    """Drawn by app.py on every page."""
    asked = st.query_params.get("lang")  # a link may open the lab in a language: ?lang=zh
    if asked in LANGUAGES and state.LANGUAGE not in st.session_state:
        st.session_state[state.LANGUAGE] = asked
    with st.sidebar:
        # Each language is named in itself, so anyone can find theirs.
        st.selectbox(t("Language"), list(LANGUAGES), format_func=LANGUAGES.get,
                     key=state.LANGUAGE)
        st.caption(t("Device: **{describe_device}**",
                     describe_device=tm(describe_device(model_store().device))))
        show_text_source()


def _label(spec: ModelSpec) -> str:
    where = where_label(spec)
    if where == "offline":
        return t("{name} · offline", name=spec.name)
    return t("{name} · needs internet", name=spec.name) if where != "Hub" else spec.name


def model_picker(task: str, purpose: str = "generate", label: str = "Model") -> LoadedModel | None:
    """A sidebar selectbox of the catalog models for `task`; returns the loaded model."""
    specs = models_for(task)
    if not specs:
        st.error(t("No model in the catalog can do “{task}”.", task=task))
        return None
    ids = [s.id for s in specs]
    by_id = {s.id: s for s in specs}
    key = state.model_key(task)
    if st.session_state.get(key) not in ids:
        st.session_state[key] = first_available(specs).id
    with st.sidebar:
        model_id = st.selectbox(t(label), ids, format_func=lambda i: _label(by_id[i]), key=key)
    loaded = load_model(model_id, purpose)
    with st.sidebar:
        model_card(by_id[model_id], loaded)
    if purpose == "inspect":
        local_copy_caption()
    return loaded


def model_card(spec: ModelSpec, loaded: LoadedModel | None) -> None:
    lines = [f"**{spec.name}** · {tm(spec.size_label)}", f"{t('License')}: {spec.license}"]
    if loaded is not None:
        dtype = str(loaded.dtype).replace("torch.", "") if loaded.dtype else "float32"
        lines.append(f"{t('Source')}: {tm(loaded.source_label)} · {dtype}")
    st.caption("  \n".join(lines))
    if spec.description:
        st.caption(tm(spec.description))
