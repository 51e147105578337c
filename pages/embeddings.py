"""Embedding projector: words or sentences -> vectors from a real model -> a 2D/3D map."""

import pandas as pd
import streamlit as st

from components.navigation import use_router
from components import url_state, working_text
from components.memo import session_memo
from components.errors import shown_errors
from components.i18n import t, tm
from components.lessons import show_lesson
from components.presenter import show_chart
from components.model_cache import load_model
from components.sidebar import model_picker
from lmlab import embeddings as emb
from lmlab.word_arithmetic import nearest
from lmlab.viz.embeddings import projection_scatter, similarity_heatmap

# This page's widget and session keys (keys shared between pages live in components.state).
EMB_SOURCE = "emb_source"
EMB_PRESET = "emb_preset"
EMB_ITEMS = "emb_items"
EMB_METHOD = "emb_method"
EMB_DIMS = "emb_dims"
EMB_LAYER = "emb_layer"
EMB_CENTRE = "emb_centre"
EMB_CHART = "emb_chart"
EMB_FOCUS = "emb_focus"
EMB_LAST_CLICK = "emb_last_click"
EMB_CACHE = "emb_cache"  # last embeddings and projection of this session


use_router()

CUSTOM = "Custom (edit the list)"


def _mark_custom() -> None:
    """An edited list is no longer the preset it started from."""
    name = st.session_state.get(EMB_PRESET)
    if name in emb.PRESETS and st.session_state[EMB_ITEMS] != emb.preset_text(name):
        st.session_state[EMB_PRESET] = CUSTOM


def _load_preset() -> None:
    name = st.session_state[EMB_PRESET]
    if name in emb.PRESETS:
        st.session_state[EMB_ITEMS] = emb.preset_text(name)


def _model_for(source: str):
    if source == "glove":
        return load_model("glove-6B-50d")
    if source == "sentence":
        return model_picker("embed", "inspect", label="Encoder")
    return model_picker("generate", "inspect", label="Language model")


def _memo(key: tuple, compute):
    """Keep the last result per kind in the session: reruns (clicks) recompute nothing."""
    return session_memo(f"{EMB_CACHE}_{key[0]}", key, compute)


st.title(f"🧭 {t('Embedding projector')}")
show_lesson("embeddings")
url = url_state.PageURL("embeddings")  # ?source=…&preset=…&items=…&method=…&dims=…&model=…&layer=…
url.bind(url_state.choice("source", EMB_SOURCE, next(iter(emb.SOURCES)), list(emb.SOURCES),
                          what="kind of vectors"),
         url_state.choice("preset", EMB_PRESET, "Royalty", [*emb.PRESETS, CUSTOM], what="preset"),
         url_state.text("items", EMB_ITEMS, emb.preset_text("Royalty"), max_chars=4000,
                        what="list of words"),
         url_state.choice("method", EMB_METHOD, next(iter(emb.METHODS)), list(emb.METHODS),
                          what="projection"),
         url_state.choice("dims", EMB_DIMS, 2, [2, 3], what="number of dimensions"))
if st.session_state[EMB_SOURCE] != "glove":
    url.bind(working_text.model_setting("embed" if st.session_state[EMB_SOURCE] == "sentence"
                                        else "generate"))

if EMB_ITEMS not in st.session_state:
    st.session_state[EMB_PRESET] = "Royalty"
    st.session_state[EMB_ITEMS] = emb.preset_text("Royalty")

left, right = st.columns([1, 2])
with left:
    source = st.radio(url.label("source", t("Vectors from")), list(emb.SOURCES),
                      format_func=lambda k: t(emb.SOURCES[k]), key=EMB_SOURCE,
                      disabled=url.locked("source"))
    st.selectbox(url.label("preset", t("Preset")), [*emb.PRESETS, CUSTOM], key=EMB_PRESET,
                 format_func=t, on_change=_load_preset, disabled=url.locked("preset"))
    text = st.text_area(url.label("items", t("Words or sentences (one per line, up to {max_items}; “item | group” "
                          "colours groups)", max_items=emb.MAX_ITEMS)), height=260, key=EMB_ITEMS,
                        disabled=url.locked("items"), on_change=_mark_custom)
    method = st.radio(url.label("method", t("Projection")), list(emb.METHODS),
                      disabled=url.locked("method"), format_func=lambda k: t(emb.METHODS[k]),
                      horizontal=True, key=EMB_METHOD)
    dims = st.radio(url.label("dims", t("Dimensions")), [2, 3], horizontal=True, key=EMB_DIMS,
                    disabled=url.locked("dims"),
                    format_func=lambda d: f"{d}D")

loaded = _model_for(source)
layer, centre = None, True
if loaded is not None and source == "lm-hidden":
    layers = emb.layer_count(loaded)
    url.bind(url_state.number("layer", EMB_LAYER, min(layers, max(1, layers // 2)), low=0,
                              high=layers, what="layer"))
    with left:
        layer = st.slider(t("Layer (0 = embeddings, {layers} = last)", layers=layers), 0, layers,
                          min(layers, max(1, layers // 2)), key=EMB_LAYER,
                          disabled=url.locked("layer"))
        centre = st.checkbox(t("Centre the vectors over the set"), value=True, key=EMB_CENTRE,
                             help=t("A few huge dimensions are almost the same in every hidden "
                                    "state, so raw vectors all point one way (cosine ≈ 1). "
                                    "Subtracting the set's mean and setting those dimensions "
                                    "aside shows how the words differ."))

result = None
if loaded is not None:
    with right, shown_errors():
        items, notes = emb.parse_items(text)
        key = ("embed", source, loaded.spec.id, layer, centre, tuple(items))
        with st.spinner(t("Computing the vectors…")):
            vectors = _memo(key, lambda: emb.embed(source, items, loaded, layer, centre))
        spinner = t("Projecting… (the first UMAP run in a server compiles its code and can "
                    "take half a minute)" if method == "umap" else "Projecting…")
        with st.spinner(spinner):
            coords = _memo(("project", key, method, dims),
                           lambda: emb.project(vectors.vectors, method, dims))
        result = vectors, coords, notes + vectors.notes

if result is not None:
    vectors, coords, notes = result
    labels = vectors.labels
    with right:
        for note in notes:
            st.info(tm(note))
        layer_note = t(", layer {layer}", layer=layer) if layer is not None else ""
        title = t("{source}{layer} · {method} · {n} points, {dims} dimensions → {shown}",
                  source=t(emb.SOURCES[source]), layer=layer_note, method=emb.METHODS[method],
                  n=len(labels), dims=vectors.vectors.shape[1], shown=dims)
        fig = projection_scatter(coords, labels, vectors.groups, title, vectors.details)
        event = show_chart(st, fig, key=EMB_CHART, on_select="rerun" if dims == 2 else "ignore",
                                selection_mode="points", width="stretch")
        points = (event or {}).get("selection", {}).get("points", []) if dims == 2 else []
        if points and "customdata" in points[0]:
            clicked = int(points[0]["customdata"])
            if st.session_state.get(EMB_LAST_CLICK) != (labels, clicked):
                st.session_state[EMB_LAST_CLICK] = (labels, clicked)
                st.session_state[EMB_FOCUS] = labels[clicked]
        st.caption(t("Click a point (2D) or pick an item below to list its nearest "
                     "neighbours. Distances in a 2D map are only a hint: the neighbours below "
                     "are measured in all {value} dimensions.",
                     value=vectors.vectors.shape[1]))
        if st.session_state.get(EMB_FOCUS) not in labels:
            st.session_state[EMB_FOCUS] = labels[0]
        focus = st.selectbox(t("Nearest neighbours of"), labels, key=EMB_FOCUS)
        near = emb.nearest_in_set(vectors.vectors, labels, labels.index(focus), k=8)
        cols = st.columns(2)
        cols[0].dataframe(pd.DataFrame(near, columns=[t("in this set"), t("cosine")]),
                          hide_index=True, width="stretch")
        if source == "glove" and focus.lower() in loaded.model.index:
            wider = [(n.word, n.cosine) for n in nearest(loaded.model, focus, 8)]
            cols[1].dataframe(pd.DataFrame(wider, columns=[t("in all 400k GloVe words"), t("cosine")]),
                              hide_index=True, width="stretch")

    shown = labels[:emb.MAX_HEATMAP_ITEMS]
    if len(labels) > emb.MAX_HEATMAP_ITEMS:
        st.info(t("The heatmap shows the first {max_heatmap_items} of {n} items.",
                  max_heatmap_items=emb.MAX_HEATMAP_ITEMS, n=len(labels)))
    matrix = emb.cosine_matrix(vectors.vectors[:len(shown)])
    show_chart(st, similarity_heatmap(matrix, shown, t("Cosine similarity of every pair")),
                    width="stretch", key="emb_heatmap")
