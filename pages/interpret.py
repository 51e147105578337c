"""Look deeper: logit lens, information flow, activation patching and saliency on one text."""

import streamlit as st

from components import patching_view, state, url_state, working_text
from components.controls import busy_notice, keep_position
from components.downloads import csv_button
from components.errors import shown_errors
from components.i18n import labels, t, tm
from components.lessons import show_lesson
from components.memo import forget, session_memo
from components.navigation import use_router
from components.presenter import show_chart
from components.quiz import offer
from components.sidebar import model_picker
from lmlab.flow import contributions, flow_graph, traced_edges
from lmlab.lens import logit_lens
from lmlab.quiz_answers import lens_first_layer
from lmlab.residual import MAX_TRACE_TOKENS, trace_text
from lmlab.saliency import saliency_text
from lmlab.share_link import pack_text
from lmlab.token_text import token_text
from lmlab.viz.interpret import (contributions_heatmap, flow_figure, lens_cell_rows,
                                 lens_heatmap, saliency_chips_html)
from lmlab.viz.tokens import visible_token

# This page's widget and session keys (keys shared between pages live in components.state;
# the patching view's in components.patching_view).
LD_TEXT = "ld_text"
LD_VIEW = "ld_view"  # the chosen view's name (?view=lens), whatever the language
LD_TABS = "ld_tabs"  # the tabs widget: the chosen tab's label in the session's language
LD_POS = "ld_position"
LD_ROW = "ld_lens_row"
LD_TOKEN = "ld_flow_token"
LD_THRESHOLD = "ld_flow_threshold"
LD_HEAD_LAYER = "ld_head_layer"
LD_HEAD = "ld_head"
LD_SAL_TOKEN = "ld_saliency_token"
LD_SAL_STEPS = "ld_saliency_steps"
LD_SAL_RUN = "ld_saliency_run"
LD_SAL_RESULT = "ld_saliency_result"

SAMPLE = "The Eiffel Tower is in the city of"
VIEWS = {"lens": "Logit lens", "flow": "Information flow", "patching": "Activation patching",
         "saliency": "Saliency"}
NORM_NAMES = {"rmsnorm": "RMSNorm", "layernorm": "LayerNorm"}  # names, kept in every language
# The lens cell table's columns (lmlab.viz.interpret.lens_cell_rows), as the student reads them.
CELL_COLUMNS = {"rank": "rank", "token": "token", "probability": "probability"}

use_router()


def decoder(loaded):
    return lambda i: token_text(loaded.tokenizer, i)


def top_choices(trace, position: int, k: int = 5) -> list[int]:
    return trace.logits[position].topk(k).indices.tolist()


def show_choices(loaded, trace, position: int, choices: list[int]) -> None:
    """The model's own top tokens after `position`, with their probabilities, as plain text."""
    probs = trace.logits[position].float().softmax(-1)
    st.caption(t("The model's top {k} next tokens after position {pos}:", k=len(choices),
                 pos=position))
    st.text("   ".join(f"{visible_token(decoder(loaded)(i))} {float(probs[i]):.1%}"
                       for i in choices))


def on_cell(chart_key: str, target: tuple[str, ...]) -> None:
    """A click on a grid marker: customdata holds the cell, stored under `target` keys."""
    points = st.session_state[chart_key].selection.get("points", [])
    if points and points[0].get("customdata") is not None:
        for key, value in zip(target, points[0]["customdata"]):
            st.session_state[key] = int(value)


def lens_section(loaded, trace, text: str) -> None:
    grid = session_memo("ld_lens", (loaded.spec.id, text), lambda: logit_lens(trace, decoder(loaded)))
    st.caption(t("Each cell reads the residual stream after that layer through the model's final "
                 "norm and unembedding: the top token and its probability. The ring marks the "
                 "first layer from which the model's final prediction stays on top. Click a cell."))
    show_chart(st, lens_heatmap(grid, labels=labels()), key="ld_lens_chart",
               selection_mode="points",
               on_select=lambda: on_cell("ld_lens_chart", (LD_ROW, LD_POS)))
    row = min(max(st.session_state.get(LD_ROW, grid.n_rows - 1), 0), grid.n_rows - 1)
    pos = st.session_state[LD_POS]
    offer(lens_first_layer(grid, pos, visible_token))  # the end-of-page quiz, from this grid
    st.markdown(t("**{layer}**, position {pos} ({token}): the model's final prediction there is "
                  "**{final}**, top-1 from {first} on.", layer=tm(grid.layers[row]), pos=pos,
                  token=visible_token(grid.tokens[pos]),
                  final=visible_token(decoder(loaded)(grid.final_ids[pos])),
                  first=tm(grid.layers[grid.first_layer[pos]])))
    cell = [{t(CELL_COLUMNS[k]): v for k, v in r.items()} for r in lens_cell_rows(grid, row, pos)]
    st.dataframe(cell, hide_index=True, key="ld_lens_cell")
    csv_button(grid.rows(), "logit_lens", "ld_lens_csv")


def open_head(page: str, label: str, text: str, layer: int, head: int, model: str, key: str,
              where) -> None:
    """Open the Attention / Attention math page on the same text at one head."""
    if where.button(label, key=key):
        st.session_state[state.WORKING_TEXT] = text
        url_state.switch_to(page, {"text": pack_text(text), "layer": str(layer),
                                   "head": str(head), "model": model})


def token_choice(url, name: str, key: str, choices: list[int], what: str) -> None:
    """Bind a choice among the model's top tokens; a stale one (another position) is reset."""
    if st.session_state.get(key) not in choices:
        st.session_state[key] = choices[0]
    url.bind(url_state.choice(name, key, choices[0], choices, what=what))


def flow_section(loaded, trace, text: str, url) -> None:
    pos = st.session_state[LD_POS]
    choices = top_choices(trace, pos)
    token_choice(url, "token", LD_TOKEN, choices, "predicted token")
    col_token, col_threshold = st.columns(2)
    token = col_token.selectbox(url.label("token", t("Predicted token")), choices,
                                format_func=lambda i: visible_token(decoder(loaded)(i)),
                                **url.kw("token"))
    threshold = col_threshold.slider(url.label("threshold", t("Edge threshold (share)")), 0.0,
                                     0.5, step=0.01, **url.kw("threshold"))
    show_choices(loaded, trace, pos, choices)
    share = contributions(trace, pos, token, decoder(loaded))
    st.caption(t("Each head's and MLP's direct share of the logit of {token} at position {pos}, "
                 "read through the final norm frozen at this run ({norm}): the shares add up to "
                 "{total:.4f}; the model's own logit is {logit:.4f}.",
                 token=visible_token(share.token), pos=pos,
                 norm=NORM_NAMES.get(share.norm, share.norm), total=share.total,
                 logit=share.logit))
    show_chart(st, contributions_heatmap(share, labels=labels()), key="ld_flow_chart",
               selection_mode="points",
               on_select=lambda: on_cell("ld_flow_chart", (LD_HEAD_LAYER, LD_HEAD)))
    graph = session_memo("ld_graph", (loaded.spec.id, text), lambda: flow_graph(trace))
    edges = traced_edges(graph, pos, threshold)
    show_chart(st, flow_figure(trace.tokens, trace.n_layers, edges, pos, labels=labels()),
               key="ld_flow_graph")
    layer = min(max(st.session_state.get(LD_HEAD_LAYER, 0), 0), trace.n_layers - 1)
    head = st.session_state.get(LD_HEAD, 0)
    if head < 0:
        st.caption(t("You chose the MLP of layer {layer}; choose a head to open it in the "
                     "attention pages.", layer=layer))
    else:
        st.markdown(t("Head **{head}** of layer **{layer}**: {value:+.3f}", head=head, layer=layer,
                      value=float(share.heads[layer, min(head, share.heads.shape[1] - 1)])))
        left, right = st.columns(2)
        open_head("pages/attention.py", working_text.open_in_label("Attention"), text, layer,
                  head, loaded.spec.id, "ld_open_attention", left)
        open_head("pages/attention_math.py", working_text.open_in_label("Attention math"), text,
                  layer, head, loaded.spec.id, "ld_open_attention_math", right)
    csv_button(share.rows(), "information_flow", "ld_flow_csv",
               what=t("each head's and MLP's share"))
    csv_button([{"layer": l, "from position": s, "to position": d, "share": w}
                for l, s, d, w in edges], "flow_edges", "ld_edges_csv", what=t("the graph's edges"))


def saliency_section(loaded, trace, text: str, url) -> None:
    choices = top_choices(trace, trace.n_tokens - 1)
    token_choice(url, "target", LD_SAL_TOKEN, choices, "token to explain")
    col_token, col_steps = st.columns(2)
    token = col_token.selectbox(url.label("target", t("Next token to explain")), choices,
                                format_func=lambda i: visible_token(decoder(loaded)(i)),
                                **url.kw("target"))
    steps = col_steps.slider(url.label("steps", t("Integration steps")), 8, 128, step=8,
                             **url.kw("steps"))
    show_choices(loaded, trace, trace.n_tokens - 1, choices)
    if st.button(t("Compute saliency"), type="primary", key=LD_SAL_RUN):
        with shown_errors(on_error=lambda: st.session_state.pop(LD_SAL_RESULT, None)):
            bar = st.progress(0.0)
            result = saliency_text(loaded, text, token, steps, busy_notice(),
                                   lambda d, n: bar.progress(d / n))
            bar.empty()
            st.session_state[LD_SAL_RESULT] = {"key": (loaded.spec.id, text), "result": result}
    saved = st.session_state.get(LD_SAL_RESULT)
    if not saved or saved["key"] != (loaded.spec.id, text):
        st.caption(t("Press Compute saliency to see which input tokens this choice depends on."))
        return
    result = saved["result"]
    name = visible_token(result.token)
    st.html(saliency_chips_html(result.tokens, result.grad_x_input,
                                t("Gradient × input → {token}", token=name)))
    st.html(saliency_chips_html(result.tokens, result.integrated,
                                t("Integrated gradients ({steps} steps) → {token}",
                                  steps=result.steps, token=name)))
    st.caption(t("Blue raises the logit of {token}, red lowers it; hover a token for its value. "
                 "Integrated gradients add up to {total:.3f}; f(text) − f(baseline) = "
                 "{change:.3f} (gap {gap:.1%}). The baseline puts {baseline} at every position "
                 "but the first.", token=name, total=sum(result.integrated),
                 change=result.f_input - result.f_baseline, gap=result.completeness_gap,
                 baseline=result.baseline_token))
    csv_button(result.rows(), "saliency", "ld_saliency_csv")


def view_tabs() -> list:
    """The four views as tabs; the chosen one is kept by name, so a link and a language
    switch open the same tab (every tab still runs, so each shows at once)."""
    st.session_state[LD_TABS] = t(VIEWS[st.session_state[LD_VIEW]])
    return st.tabs([t(v) for v in VIEWS.values()], key=LD_TABS, on_change=chosen_view)


def chosen_view() -> None:
    by_label = {t(label): name for name, label in VIEWS.items()}
    st.session_state[LD_VIEW] = by_label.get(st.session_state.get(LD_TABS), "lens")


def bind_trace_settings(url, trace) -> None:
    """Settings whose range depends on the model and the text: checked once both are known."""
    last_layer, last_head = trace.n_layers - 1, trace.parts.n_heads - 1
    url.bind(url_state.number("pos", LD_POS, trace.n_tokens - 1, low=-1,
                              high=trace.n_tokens - 1, what="token position"),
             url_state.number("row", LD_ROW, trace.n_layers, low=0, high=trace.n_layers,
                              what="logit lens row"),
             url_state.number("layer", LD_HEAD_LAYER, 0, low=0, high=last_layer, what="layer"),
             url_state.number("head", LD_HEAD, 0, low=-1, high=last_head, what="head"),
             url_state.number("threshold", LD_THRESHOLD, 0.1, low=0.0, high=0.5, integer=False,
                              what="edge threshold"),
             url_state.number("steps", LD_SAL_STEPS, 64, low=8, high=128,
                              what="number of integration steps"))
    keep_position(LD_POS, trace.n_tokens)  # -1 from a link: "the last token"


def main() -> None:
    st.title(f"🔬 {t('Look deeper')}")
    show_lesson("interpret")
    url = url_state.PageURL("interpret")  # ?model=…&text=…&view=…&pos=…&row=…&layer=…&head=…
    url.bind(working_text.model_setting("generate"),
             working_text.text_setting(LD_TEXT, SAMPLE, max_chars=8 * MAX_TRACE_TOKENS),
             url_state.choice("view", LD_VIEW, "lens", list(VIEWS), what="view"),
             *patching_view.settings())
    loaded = model_picker("generate", purpose="inspect")
    text = st.text_area(url.label("text", t("Text (up to {n} tokens)", n=MAX_TRACE_TOKENS)),
                        height=80, **url.kw("text"))
    if loaded is None:
        return
    lens, flow, patching, saliency = view_tabs()
    with patching:
        patching_view.patching_section(loaded, url)
    with shown_errors(on_error=lambda: forget("ld_trace")):
        trace = session_memo("ld_trace", (loaded.spec.id, text),
                             lambda: trace_text(loaded, text, on_wait=busy_notice()))
        bind_trace_settings(url, trace)
        with lens:
            lens_section(loaded, trace, text)
        with flow:
            st.selectbox(url.label("pos", t("Position")), list(range(trace.n_tokens)),
                         format_func=lambda i: f"#{i} {visible_token(trace.tokens[i])}",
                         **url.kw("pos"))
            flow_section(loaded, trace, text, url)
        with saliency:
            saliency_section(loaded, trace, text, url)


main()
