"""Compute cost: parameters, memory, FLOPs per token and tokens/s of the loaded model,
and the same arithmetic for GPT-2, GPT-3 and a 70B model."""

import pandas as pd
import streamlit as st

from components import url_state, working_text
from components.downloads import csv_button
from components.errors import shown_errors
from components.i18n import t, tm
from components.lessons import show_lesson
from components.memo import forget, peek, session_memo
from components.navigation import use_router
from components.presenter import show_chart
from components.quiz import offer
from components.sidebar import model_picker
from lmlab import compute
from lmlab.quiz_applications import float16_memory
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
              delta_color="off", delta_arrow="off")
    c3.metric(t("FLOPs per token"), f"{cost.flops_per_token / 1e9:,.2f} G",
              help=t("≈ 2 × parameters: one multiply and one add per weight."))
    c4.metric(t("Layers × width"), f"{cost.layers} × {cost.width}")
    memory = compute.memory_bytes(cost.parameters)
    st.caption(t("The same weights in other formats: {formats}.", formats=" · ".join(
        f"{name} {compute.human_bytes(b)}" for name, b in memory.items())))


def cost_table(rows: list[compute.ScaledRow]) -> pd.DataFrame:
    """The scaled rows with translated headers; the core's notes read in the page's language."""
    return pd.DataFrame([{
        t("model"): tm(r.name), t("parameters"): f"{r.parameters:.3g}",
        t("FLOPs per token"): f"{r.flops_per_token:.3g}",
        t("float16 weights"): compute.human_bytes(r.memory["float16"]),
        t("int4 weights"): compute.human_bytes(r.memory["int4"]),
        t("s per token here"): f"{r.seconds_per_token:.3g}",
        t("training FLOPs ≈ 6ND"): f"{r.training_flops:.3g}" if r.training_flops else "—",
        t("note"): tm(r.note)} for r in rows])


def speed_panel(url: url_state.PageURL, loaded, cost: compute.ModelCost) -> None:
    tokens = st.slider(url.label("tokens", t("Tokens to generate for the measurement")), 8,
                       compute.MAX_MEASURE_TOKENS, step=8, **url.kw("tokens"))
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
    st.metric(t("Measured on this machine"),
              t("{rate} tokens/s", rate=f"{speed.tokens_per_second:,.1f}"),
              t("{tokens} tokens in {seconds} s after a {prompt}-token prompt",
                tokens=speed.tokens, seconds=f"{speed.seconds:.2f}", prompt=speed.prompt_tokens),
              delta_color="off", delta_arrow="off")
    rows = compute.scaled(cost, speed)
    names = [tm(r.name) for r in rows]
    show_chart(st, cost_bars(names, [r.memory["float16"] / 1e9 for r in rows],
                             t("Memory for the weights alone (float16)"), t("GB (log scale)")),
               width="stretch", key="compute_memory_chart")
    show_chart(st, cost_bars(names, [r.seconds_per_token for r in rows],
                             t("Seconds per token at the FLOP rate measured here"),
                             t("seconds (log scale)")), width="stretch", key="compute_time_chart")
    table = cost_table(rows)
    st.dataframe(table, hide_index=True, width="stretch")
    csv_button(table, "compute_cost", "compute_csv")


st.title(f"💰 {t('Compute cost')}")
show_lesson("compute")
url = url_state.PageURL("compute")  # ?model=…&tokens=…
url.bind(working_text.model_setting("generate"),
         url_state.number("tokens", COMPUTE_TOKENS, 32, low=8, high=compute.MAX_MEASURE_TOKENS,
                          what="number of tokens to generate"))
loaded = model_picker("generate")
if loaded is not None:
    with shown_errors():
        cost = compute.model_cost(loaded)
        offer(float16_memory(cost.parameters))  # the end-of-page quiz, from the counted weights
        model_panel(cost)
        speed_panel(url, loaded, cost)
