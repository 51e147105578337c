"""Look deeper: logit lens, information flow, activation patching and saliency on one text."""

import pandas as pd
import streamlit as st

from components import state, url_state, working_text
from components.controls import busy_notice
from components.errors import shown_errors
from components.i18n import t, tm
from components.lessons import show_lesson
from components.memo import forget, session_memo
from components.navigation import use_router
from components.presenter import show_chart
from components.sidebar import model_picker
from lmlab.flow import contributions, flow_graph, traced_edges
from lmlab.lens import logit_lens
from lmlab.patching import MAX_PATCH_TOKENS, patch_head_grid, patch_residual_grid, prepare
from lmlab.residual import MAX_TRACE_TOKENS, trace_text
from lmlab.saliency import saliency_text
from lmlab.share_link import pack_text
from lmlab.viz.interpret import (contributions_heatmap, flow_figure, lens_cell_rows,
                                 lens_heatmap, patching_heatmap, saliency_chips_html)
from lmlab.viz.tokens import visible_token

# This page's widget and session keys (keys shared between pages live in components.state).
LD_TEXT = "ld_text"
LD_POS = "ld_position"
LD_ROW = "ld_lens_row"
LD_TOKEN = "ld_flow_token"
LD_THRESHOLD = "ld_flow_threshold"
LD_HEAD_LAYER = "ld_head_layer"
LD_HEAD = "ld_head"
LD_CLEAN = "ld_patch_clean"
LD_CORRUPT = "ld_patch_corrupted"
LD_ANSWER = "ld_patch_answer"
LD_WRONG = "ld_patch_wrong"
LD_PATCH_RUN = "ld_patch_run"
LD_PATCH_STOP = "ld_patch_stop"
LD_PATCH_RESULT = "ld_patch_result"
LD_PATCH_LAYER = "ld_patch_head_layer"
LD_PATCH_HEADS = "ld_patch_heads_run"
LD_SAL_TOKEN = "ld_saliency_token"
LD_SAL_STEPS = "ld_saliency_steps"
LD_SAL_RUN = "ld_saliency_run"
LD_SAL_RESULT = "ld_saliency_result"

SAMPLE = "The Eiffel Tower is in the city of"

use_router()


def csv_button(rows: list[dict], name: str, key: str) -> None:
    st.download_button(f"⬇ {t('Download CSV')}", pd.DataFrame(rows).to_csv(index=False),
                       file_name=f"{name}.csv", mime="text/csv", key=key)


def decoder(loaded):
    return lambda i: loaded.tokenizer.decode([i], clean_up_tokenization_spaces=False)


def top_choices(trace, position: int, k: int = 5) -> list[int]:
    return trace.logits[position].topk(k).indices.tolist()


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
    show_chart(st, lens_heatmap(grid), key="ld_lens_chart", selection_mode="points",
               on_select=lambda: on_cell("ld_lens_chart", (LD_ROW, LD_POS)))
    row = min(max(st.session_state.get(LD_ROW, grid.n_rows - 1), 0), grid.n_rows - 1)
    pos = st.session_state[LD_POS]
    st.markdown(t("**{layer}**, position {pos} ({token}): the model's final prediction there is "
                  "**{final}**, top-1 from {first} on.", layer=tm(grid.layers[row]), pos=pos,
                  token=visible_token(grid.tokens[pos]),
                  final=visible_token(decoder(loaded)(grid.final_ids[pos])),
                  first=tm(grid.layers[grid.first_layer[pos]])))
    st.dataframe(lens_cell_rows(grid, row, pos), hide_index=True, key="ld_lens_cell")
    csv_button(grid.rows(), "logit_lens", "ld_lens_csv")


def open_head(page: str, label: str, text: str, layer: int, head: int, model: str, key: str,
              where) -> None:
    """Open the Attention / Attention math page on the same text at one head."""
    if where.button(label, key=key):
        st.session_state[state.WORKING_TEXT] = text
        st.switch_page(page, query_params={"text": pack_text(text), "layer": str(layer),
                                           "head": str(head), "model": model})


def flow_section(loaded, trace, text: str) -> None:
    pos = st.session_state[LD_POS]
    choices = top_choices(trace, pos)
    if st.session_state.get(LD_TOKEN) not in choices:
        st.session_state[LD_TOKEN] = choices[0]
    col_token, col_threshold = st.columns(2)
    token = col_token.selectbox(t("Predicted token"), choices, key=LD_TOKEN,
                                format_func=lambda i: visible_token(decoder(loaded)(i)))
    threshold = col_threshold.slider(t("Edge threshold (share)"), 0.0, 0.5, 0.1, 0.01,
                                     key=LD_THRESHOLD)
    share = contributions(trace, pos, token, decoder(loaded))
    st.caption(t("Each head's and MLP's direct share of the logit of {token} at position {pos}, "
                 "read through the final norm frozen at this run ({norm}): the shares add up to "
                 "{total:.4f}; the model's own logit is {logit:.4f}.",
                 token=visible_token(share.token), pos=pos, norm=share.norm, total=share.total,
                 logit=share.logit))
    show_chart(st, contributions_heatmap(share), key="ld_flow_chart", selection_mode="points",
               on_select=lambda: on_cell("ld_flow_chart", (LD_HEAD_LAYER, LD_HEAD)))
    graph = session_memo("ld_graph", (loaded.spec.id, text), lambda: flow_graph(trace))
    edges = traced_edges(graph, pos, threshold)
    show_chart(st, flow_figure(trace.tokens, trace.n_layers, edges, pos), key="ld_flow_graph")
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
    csv_button(share.rows(), "information_flow", "ld_flow_csv")
    csv_button([{"layer": l, "from position": s, "to position": d, "share": w}
                for l, s, d, w in edges], "flow_edges", "ld_edges_csv")


def patch_inputs() -> tuple[str, str, str, str]:
    col1, col2 = st.columns(2)
    clean = col1.text_input(t("Clean prompt"), SAMPLE, key=LD_CLEAN)
    corrupted = col2.text_input(t("Corrupted prompt (same number of tokens)"),
                                "The Colosseum is in the city of", key=LD_CORRUPT)
    answer = col1.text_input(t("Right answer (clean)"), " Paris", key=LD_ANSWER)
    wrong = col2.text_input(t("Wrong answer (corrupted)"), " Rome", key=LD_WRONG)
    return clean, corrupted, answer, wrong


def run_patching(loaded, clean, corrupted, answer, wrong) -> None:
    """Runs the grid in this script run; Stop reruns the page, which ends it between batches."""
    on_wait = busy_notice()
    setup = prepare(loaded, clean, corrupted, answer, wrong, on_wait)
    bar = st.progress(0.0, text=t("Patching…"))
    saved = {"setup": setup, "grid": None, "heads": None, "stopped": True,
             "model": loaded.spec.id}
    st.session_state[LD_PATCH_RESULT] = saved

    def progress(done: int, total: int, grid) -> None:
        saved["grid"] = grid.clone()  # kept if Stop interrupts the run
        bar.progress(done / total, text=t("Patched {done} of {total} cells", done=done,
                                          total=total))
    saved["grid"], saved["stopped"] = patch_residual_grid(loaded, setup, progress, on_wait=on_wait)
    bar.empty()
    on_wait.clear()


def patching_section(loaded) -> None:
    st.caption(t("Run the corrupted prompt with one clean residual vector put back (layer × "
                 "position) and see how much of the clean answer returns. Up to {n} tokens.",
                 n=MAX_PATCH_TOKENS))
    clean, corrupted, answer, wrong = patch_inputs()
    run, stop = st.columns(2)
    if stop.button(f"⏹ {t('Stop')}", key=LD_PATCH_STOP):
        st.info(t("Stopped: the cells patched so far are shown."))
    if run.button(t("Patch every layer and position"), type="primary", key=LD_PATCH_RUN):
        with shown_errors(on_error=lambda: st.session_state.pop(LD_PATCH_RESULT, None)):
            run_patching(loaded, clean, corrupted, answer, wrong)
    saved = st.session_state.get(LD_PATCH_RESULT)
    if not saved or saved["model"] != loaded.spec.id or saved["grid"] is None:
        return
    setup = saved["setup"]
    for note in setup.notes:
        st.info(note)
    m1, m2 = st.columns(2)
    m1.metric(t("Clean logit difference"), f"{setup.clean_metric:+.3f}",
              help=f"logit({setup.answer}) − logit({setup.wrong})")
    m2.metric(t("Corrupted logit difference"), f"{setup.corrupted_metric:+.3f}")
    layers = [f"layer {i}" for i in range(setup.clean.n_layers)]
    show_chart(st, patching_heatmap(setup.restored(saved["grid"]), layers, setup.corrupted.tokens,
                                    "Restored share of the clean logit difference"),
               key="ld_patch_chart")
    csv_button(patch_rows(setup, saved["grid"], layers), "patching", "ld_patch_csv")
    heads_section(loaded, setup, saved)


def patch_rows(setup, grid, labels: list[str]) -> list[dict]:
    restored = setup.restored(grid)
    return [{"patched": labels[r], "position": p, "token": setup.corrupted.tokens[p],
             "logit difference": float(grid[r, p]), "restored": float(restored[r, p])}
            for r in range(grid.shape[0]) for p in range(grid.shape[1])]


def heads_section(loaded, setup, saved: dict) -> None:
    layer = st.number_input(t("Layer for per-head patching (0–{last})",
                              last=setup.clean.n_layers - 1), 0, setup.clean.n_layers - 1, 0,
                            key=LD_PATCH_LAYER)
    if st.button(t("Patch each head of this layer"), key=LD_PATCH_HEADS):
        with shown_errors():
            bar = st.progress(0.0)
            grid, _ = patch_head_grid(loaded, setup, int(layer),
                                      lambda d, n, g: bar.progress(d / n))
            saved["heads"] = (int(layer), grid)
            bar.empty()
    if saved.get("heads"):
        layer, grid = saved["heads"]
        labels = [f"L{layer} head {h}" for h in range(grid.shape[0])]
        show_chart(st, patching_heatmap(setup.restored(grid), labels, setup.corrupted.tokens,
                                        f"Per head, layer {layer}"), key="ld_heads_chart")
        csv_button(patch_rows(setup, grid, labels), "patching_heads", "ld_heads_csv")


def saliency_section(loaded, trace, text: str) -> None:
    choices = top_choices(trace, trace.n_tokens - 1)
    col_token, col_steps = st.columns(2)
    token = col_token.selectbox(t("Next token to explain"), choices, key=LD_SAL_TOKEN,
                                format_func=lambda i: visible_token(decoder(loaded)(i)))
    steps = col_steps.slider(t("Integration steps"), 8, 128, 64, 8, key=LD_SAL_STEPS)
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
    st.html(saliency_chips_html(result.tokens, result.grad_x_input, f"Gradient × input → {name}"))
    st.html(saliency_chips_html(result.tokens, result.integrated,
                                f"Integrated gradients ({result.steps} steps) → {name}"))
    st.caption(t("Blue raises the logit of {token}, red lowers it; hover a token for its value. "
                 "Integrated gradients add up to {total:.3f}; f(text) − f(zero embeddings) = "
                 "{change:.3f} (gap {gap:.1%}).", token=name, total=sum(result.integrated),
                 change=result.f_input - result.f_baseline, gap=result.completeness_gap))
    csv_button(result.rows(), "saliency", "ld_saliency_csv")


def main() -> None:
    st.title(f"🔬 {t('Look deeper')}")
    show_lesson("interpret")
    url = url_state.PageURL("interpret")  # ?model=…&text=…&pos=…
    url.bind(working_text.model_setting("generate"),
             working_text.text_setting(LD_TEXT, SAMPLE, max_chars=8 * MAX_TRACE_TOKENS))
    loaded = model_picker("generate", purpose="inspect")
    text = st.text_area(url.label("text", t("Text (up to {n} tokens)", n=MAX_TRACE_TOKENS)),
                        height=80, **url.kw("text"))
    if loaded is None:
        return
    lens, flow, patching, saliency = st.tabs([t("Logit lens"), t("Information flow"),
                                              t("Activation patching"), t("Saliency")])
    with patching:
        patching_section(loaded)
    with shown_errors(on_error=lambda: forget("ld_trace")):
        trace = session_memo("ld_trace", (loaded.spec.id, text),
                             lambda: trace_text(loaded, text, on_wait=busy_notice()))
        url.bind(url_state.number("pos", LD_POS, trace.n_tokens - 1, low=-1,
                                  high=trace.n_tokens - 1, what="token position"))
        if not 0 <= st.session_state[LD_POS] < trace.n_tokens:  # -1: "the last token"
            st.session_state[LD_POS] = trace.n_tokens - 1
        with lens:
            lens_section(loaded, trace, text)
        with flow:
            st.selectbox(t("Position"), list(range(trace.n_tokens)), key=LD_POS,
                         format_func=lambda i: f"#{i} {visible_token(trace.tokens[i])}")
            flow_section(loaded, trace, text)
        with saliency:
            saliency_section(loaded, trace, text)


main()
