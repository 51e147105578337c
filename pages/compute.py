"""Compute cost: parameters, memory, FLOPs per token and tokens/s of the loaded model,
and the same arithmetic for GPT-2, GPT-3 and a 70B model."""

import pandas as pd
import streamlit as st

from components.errors import shown_errors
from components.i18n import t
from components.lessons import show_lesson
from components.memo import forget, peek, session_memo
from components.navigation import use_router
from components.sidebar import model_picker
from lmlab import compute
from lmlab.viz.applications import cost_bars

# This page's widget and session keys (keys shared between pages live in components.state).
COMPUTE_TOKENS = "compute_tokens"
COMPUTE_MEASURE = "compute_measure"

use_router()


def model_panel(cost: compute.ModelCost) -> None:
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(t("Parameters"), f"{cost.parameters / 1e6:,.1f} M",
              help=t("Counted from the loaded model: every weight tensor once."))
    c2.metric(t("Weights in memory"), compute.human_bytes(cost.weight_bytes), cost.dtype,
              delta_color="off")
    c3.metric(t("FLOPs per token"), f"{cost.flops_per_token / 1e9:,.2f} G",
              help=t("≈ 2 × parameters: one multiply and one add per weight."))
    c4.metric(t("Layers × width"), f"{cost.layers} × {cost.width}")
    memory = compute.memory_bytes(cost.parameters)
    st.caption(t("The same weights in other formats: {formats}.", formats=" · ".join(
        f"{name} {compute.human_bytes(b)}" for name, b in memory.items())))


def speed_panel(loaded, cost: compute.ModelCost) -> None:
    tokens = st.slider(t("Tokens to generate for the measurement"), 8, compute.MAX_MEASURE_TOKENS,
                       32, 8, key=COMPUTE_TOKENS)
    key = (loaded.spec.id, loaded.dtype, tokens)
    if st.button(t("Measure again"), key=COMPUTE_MEASURE):
        forget("compute_speed")
    with shown_errors():
        with st.spinner(t("Generating greedily and timing it…")):
            speed = session_memo("compute_speed", key,
                                 lambda: compute.measure_speed(loaded, tokens))
    speed = peek("compute_speed", key)
    if speed is None:
        return
    st.metric(t("Measured on this machine"), f"{speed.tokens_per_second:,.1f} tokens/s",
              f"{speed.tokens} tokens in {speed.seconds:.2f} s after a {speed.prompt_tokens}-token "
              "prompt", delta_color="off")
    rows = compute.scaled(cost, speed)
    st.plotly_chart(cost_bars([r.name for r in rows], [r.memory["float16"] / 1e9 for r in rows],
                              "Memory for the weights alone (float16)", "GB (log scale)"),
                    width="stretch", key="compute_memory_chart")
    st.plotly_chart(cost_bars([r.name for r in rows], [r.seconds_per_token for r in rows],
                              "Seconds per token at the FLOP rate measured here",
                              "seconds (log scale)"), width="stretch", key="compute_time_chart")
    table = pd.DataFrame([{"model": r.name, "parameters": f"{r.parameters:.3g}",
                           "FLOPs per token": f"{r.flops_per_token:.3g}",
                           "float16 weights": compute.human_bytes(r.memory["float16"]),
                           "int4 weights": compute.human_bytes(r.memory["int4"]),
                           "s per token here": f"{r.seconds_per_token:.3g}",
                           "training FLOPs ≈ 6ND": f"{r.training_flops:.3g}" if r.training_flops
                           else "—", "note": r.note} for r in rows])
    st.dataframe(table, hide_index=True, width="stretch")
    st.download_button(t("Download CSV"), table.to_csv(index=False), "compute_cost.csv",
                       "text/csv", key="compute_csv")


st.title(f"💰 {t('Compute cost')}")
show_lesson("compute")
loaded = model_picker("generate")
if loaded is not None:
    with shown_errors():
        cost = compute.model_cost(loaded)
        model_panel(cost)
        speed_panel(loaded, cost)
