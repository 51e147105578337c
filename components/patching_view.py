"""The activation patching view of Look deeper: two prompts, a grid of patched runs, per head.

Kept apart from pages/interpret.py because it needs no trace of the page's text:
it runs its own clean and corrupted prompts, and only when its button is pressed.
"""

from __future__ import annotations

import streamlit as st

from components import url_state
from components.controls import busy_notice
from components.downloads import csv_button
from components.errors import shown_errors
from components.i18n import labels, t, tm
from components.presenter import show_chart
from lmlab.patching import MAX_PATCH_TOKENS, patch_head_grid, patch_residual_grid, prepare
from lmlab.viz.interpret import patching_heatmap

LD_CLEAN = "ld_patch_clean"
LD_CORRUPT = "ld_patch_corrupted"
LD_ANSWER = "ld_patch_answer"
LD_WRONG = "ld_patch_wrong"
LD_PATCH_RUN = "ld_patch_run"
LD_PATCH_STOP = "ld_patch_stop"
LD_PATCH_STOPPED = "ld_patch_stopped"  # set by a Stop click, read once by the rerun it causes
LD_PATCH_RESULT = "ld_patch_result"
LD_PATCH_LAYER = "ld_patch_head_layer"
LD_PATCH_HEADS = "ld_patch_heads_run"

CLEAN = "The Eiffel Tower is in the city of"
CORRUPTED = "The Colosseum is in the city of"
PROMPT_CHARS = 8 * MAX_PATCH_TOKENS  # a token is rarely longer than 8 characters
ANSWER_CHARS = 40


def settings() -> list[url_state.Setting]:
    """The two prompts and two answers, so a link opens the same experiment."""
    return [url_state.text("clean", LD_CLEAN, CLEAN, max_chars=PROMPT_CHARS,
                           what="clean prompt"),
            url_state.text("corrupt", LD_CORRUPT, CORRUPTED, max_chars=PROMPT_CHARS,
                           what="corrupted prompt"),
            url_state.text("answer", LD_ANSWER, " Paris", max_chars=ANSWER_CHARS,
                           what="right answer"),
            url_state.text("wrong", LD_WRONG, " Rome", max_chars=ANSWER_CHARS,
                           what="wrong answer")]


def patch_inputs(url: url_state.PageURL) -> tuple[str, str, str, str]:
    col1, col2 = st.columns(2)
    clean = col1.text_input(url.label("clean", t("Clean prompt")), **url.kw("clean"))
    corrupted = col2.text_input(url.label("corrupt", t("Corrupted prompt (same number of tokens)")),
                                **url.kw("corrupt"))
    answer = col1.text_input(url.label("answer", t("Right answer (clean)")), **url.kw("answer"))
    wrong = col2.text_input(url.label("wrong", t("Wrong answer (corrupted)")), **url.kw("wrong"))
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


def patching_section(loaded, url: url_state.PageURL) -> None:
    st.caption(t("Run the corrupted prompt with one clean residual vector put back (layer × "
                 "position) and see how much of the clean answer returns. Up to {n} tokens.",
                 n=MAX_PATCH_TOKENS))
    clean, corrupted, answer, wrong = patch_inputs(url)
    run, stop = st.columns(2)
    start = run.button(t("Patch every layer and position"), type="primary", key=LD_PATCH_RUN)
    # Stop can only be clicked while a grid runs; its click reruns the page, which ends the run.
    stop.button(f"⏹ {t('Stop')}", key=LD_PATCH_STOP, disabled=not start,
                on_click=lambda: st.session_state.update({LD_PATCH_STOPPED: True}))
    if st.session_state.pop(LD_PATCH_STOPPED, False) and st.session_state.get(LD_PATCH_RESULT):
        st.info(t("Stopped: the cells patched so far are shown."))
    if start:
        with shown_errors(on_error=lambda: st.session_state.pop(LD_PATCH_RESULT, None)):
            run_patching(loaded, clean, corrupted, answer, wrong)
    saved = st.session_state.get(LD_PATCH_RESULT)
    if not saved or saved["model"] != loaded.spec.id or saved["grid"] is None:
        return
    setup = saved["setup"]
    for note in setup.notes:
        st.info(tm(note))
    m1, m2 = st.columns(2)
    m1.metric(t("Clean logit difference"), f"{setup.clean_metric:+.3f}",
              help=f"logit({setup.answer}) − logit({setup.wrong})")
    m2.metric(t("Corrupted logit difference"), f"{setup.corrupted_metric:+.3f}")
    layers = [t("layer {n}", n=i) for i in range(setup.clean.n_layers)]
    show_chart(st, patching_heatmap(setup.restored(saved["grid"]), layers, setup.corrupted.tokens,
                                    t("Restored share of the clean logit difference"),
                                    labels=labels()), key="ld_patch_chart")
    csv_button(patch_rows(setup, saved["grid"], [f"layer {i}" for i in range(len(layers))]),
               "patching", "ld_patch_csv")
    heads_section(loaded, setup, saved)


def patch_rows(setup, grid, names: list[str]) -> list[dict]:
    restored = setup.restored(grid)
    return [{"patched": names[r], "position": p, "token": setup.corrupted.tokens[p],
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
        names = [t("layer {n}", n=layer) + " · " + t("head {head}", head=h)
                 for h in range(grid.shape[0])]
        show_chart(st, patching_heatmap(setup.restored(grid), names, setup.corrupted.tokens,
                                        t("Per head, layer {layer}", layer=layer),
                                        labels=labels()), key="ld_heads_chart")
        csv_button(patch_rows(setup, grid, [f"L{layer} head {h}" for h in range(grid.shape[0])]),
                   "patching_heads", "ld_heads_csv")
