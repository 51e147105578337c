"""Widget groups that return plain parameter objects."""

from __future__ import annotations

import streamlit as st

from components import state
from components.i18n import t
from lmlab.generation import MAX_NEW_TOKENS_LIMIT, GenerationParams

STRATEGIES = {"greedy": "Greedy (always the most likely token)",
              "sample": "Sampling (temperature, top-k, top-p)"}


def decoding_controls(default_max_new_tokens: int = 64) -> GenerationParams:
    """Decoding settings with their limits shown on the widgets."""
    col1, col2 = st.columns(2)
    with col1:
        strategy = st.radio(t("Decoding"), list(STRATEGIES), format_func=STRATEGIES.get,
                            key=state.GEN_STRATEGY)
        max_new = st.number_input(f"{t('Max new tokens')} (1–{MAX_NEW_TOKENS_LIMIT})",
                                  min_value=1, max_value=MAX_NEW_TOKENS_LIMIT,
                                  value=default_max_new_tokens, step=8, key=state.GEN_MAX_NEW_TOKENS)
    sampling = strategy == "sample"
    with col2:
        temperature = st.slider(t("Temperature"), 0.05, 2.0, 0.8, 0.05, disabled=not sampling,
                                key=state.GEN_TEMPERATURE)
        top_k = st.slider("Top-k (0 = off)", 0, 200, 50, disabled=not sampling, key=state.GEN_TOP_K)
        top_p = st.slider("Top-p", 0.05, 1.0, 0.95, 0.05, disabled=not sampling, key=state.GEN_TOP_P)
        seed = st.number_input(t("Seed"), 0, 2**31 - 1, 0, key=state.GEN_SEED)
    return GenerationParams(max_new_tokens=int(max_new), do_sample=sampling,
                            temperature=float(temperature), top_k=int(top_k),
                            top_p=float(top_p), seed=int(seed))
