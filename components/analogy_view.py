"""The GloVe page's benchmark section: the Google analogy test set over the real vectors."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components.downloads import csv_button
from components.errors import shown_errors
from components.i18n import t
from components.memo import peek, session_memo
from lmlab import analogy_eval
from lmlab.viz.applications import accuracy_bars

RUN_KEY = "analogy_eval_run"
SECTION_KEY = "analogy_eval_section"
MEMO = "analogy_eval"


def _run(vectors) -> analogy_eval.AnalogyReport:
    bar = st.progress(0.0, text=t("Scoring the questions…"))

    def progress(done: int, total: int) -> None:  # called in this script run: safe to draw
        bar.progress(done / total, text=t("{done} of {total} questions scored",
                                          done=f"{done:,}", total=f"{total:,}"))

    report = analogy_eval.evaluate_analogies(vectors, progress=progress)
    bar.empty()
    return report


def section_table(report: analogy_eval.AnalogyReport) -> pd.DataFrame:
    rows = [(s.name, s.correct, s.scored, s.skipped, round(s.accuracy, 4))
            for s in [*report.sections, report.semantic, report.syntactic, report.total]]
    return pd.DataFrame(rows, columns=["section", "correct", "scored", "skipped", "accuracy"])


def analogy_benchmark(vectors) -> None:
    st.markdown(t("**The Google analogy test set** (Mikolov et al., 2013): 19,544 "
                  "questions “a is to b as c is to ?” in 14 sections. Each guess is the "
                  "word closest to b − a + c over unit vectors (3CosAdd), the three "
                  "question words left out, among the {restrict_vocab} most frequent "
                  "words, as gensim's evaluator does, so the figure compares with "
                  "published ones. A question with a word outside those words is skipped "
                  "and counted.",
                  restrict_vocab=f"{analogy_eval.RESTRICT_VOCAB:,}"))
    key = (id(vectors), analogy_eval.RESTRICT_VOCAB)
    report = peek(MEMO, key)
    if st.button(t("Run the analogy test set"), type="primary", key=RUN_KEY):
        with shown_errors():
            report = session_memo(MEMO, key, lambda: _run(vectors))
    if report is None:
        st.caption(t("It scores every question against 300,000 words in batches of matrix "
                   "products (a few seconds to a minute, depending on the machine)."))
        return
    show_report(report)


def show_report(report: analogy_eval.AnalogyReport) -> None:
    total = report.total
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(t("overall accuracy"), f"{total.accuracy:.1%}", f"{total.correct:,} / {total.scored:,}",
              delta_color="off", delta_arrow="off")
    c2.metric(t("semantic"), f"{report.semantic.accuracy:.1%}")
    c3.metric(t("syntactic"), f"{report.syntactic.accuracy:.1%}")
    c4.metric(t("skipped"), f"{total.skipped:,}",
              help=t("Questions with a word outside the vocabulary searched; they are not scored."))
    st.caption(t("{questions} questions in {seconds} s on this machine.",
                 questions=f"{report.questions:,}", seconds=f"{report.seconds:.1f}"))
    with st.container(key="analogy_eval_results"):
        st.plotly_chart(accuracy_bars([s.name for s in report.sections],
                                      [s.accuracy for s in report.sections],
                                      [s.scored for s in report.sections],
                                      f"GloVe 6B 50d: {total.accuracy:.1%} of the analogies right"),
                        width="stretch", key="analogy_eval_chart")
        table = section_table(report)
        st.dataframe(table, hide_index=True, width="stretch")
        csv_button(table, "analogy_sections", "analogy_eval_sections_csv")
    st.subheader(t("Failures"))
    sections = ["all sections"] + [s.name for s in report.sections]
    section = st.selectbox(t("Section"), sections, key=SECTION_KEY)
    failures = [f for f in report.failures if section == "all sections" or f.section == section]
    frame = pd.DataFrame([(f.section, f"{f.a} : {f.b} :: {f.c} : ?", f.expected, f.predicted)
                          for f in failures],
                         columns=["section", "question", "expected", "GloVe's answer"])
    st.caption(t("{n} failed questions.", n=f"{len(failures):,}"))
    st.dataframe(frame, hide_index=True, width="stretch", height=360)
    csv_button(frame, "analogy_failures", "analogy_eval_failures_csv")
