"""Summarize: long text in sentence chunks, map-reduce, then one streamed summary."""

import streamlit as st

from components.navigation import use_router
from components.controls import stream_into_page
from components.errors import shown_errors
from components.i18n import t, tm
from components import url_state
from components.lessons import show_lesson
from components.seq2seq_view import (answered_by, cross_attention_section, engine_picker,
                                     result_record, score_table)
from lmlab import seq2seq
from lmlab.scoring import rouge

# This page's widget and session keys (keys shared between pages live in components.state).
SUM_TEXT = "sum_text"
SUM_WORDS = "sum_words"
SUM_CHUNK_TOKENS = "sum_chunk_tokens"
SUM_BEAMS = "sum_beams"
SUM_RUN = "sum_run"
SUM_OUTPUT = "sum_output"  # the last summary of this session
SUM_REFERENCE = "sum_reference"
SUM_XATTN_LAYER = "sum_xattn_layer"
SUM_XATTN_HEAD = "sum_xattn_head"


use_router()

SAMPLE = (
    "The printing press was developed by Johannes Gutenberg in Mainz around 1440. Before it, "
    "books in Europe were copied by hand, usually by monks, and a single Bible could take a "
    "scribe more than a year. Gutenberg combined movable metal type, an oil-based ink and a "
    "screw press adapted from wine making. His workshop could print hundreds of pages a day.\n\n"
    "The invention spread quickly. By 1500, presses were working in more than two hundred "
    "European cities, and perhaps twenty million books had been printed. Prices fell, and "
    "reading was no longer only for the clergy and the rich. Pamphlets carried news and "
    "arguments faster than any messenger.\n\n"
    "Historians link the press to the Reformation, because Luther's writings were printed and "
    "sold in large numbers, and to the Scientific Revolution, because scholars could compare "
    "identical copies of the same tables and diagrams. Spelling and grammar also became more "
    "uniform, since printers needed one standard form of each language.")

st.title(f"📝 {t('Summarize')}")
show_lesson("summarize")

url = url_state.PageURL("summarize")  # ?text=…&words=…&chunk=…&beams=… (a long text stays out)
url.bind(url_state.text("text", SUM_TEXT, SAMPLE, max_chars=seq2seq.MAX_SUMMARY_CHARS),
         url_state.number("words", SUM_WORDS, 40, low=10, high=150, what="summary length"),
         url_state.number("chunk", SUM_CHUNK_TOKENS, 512, low=64, high=1024, what="chunk size"),
         url_state.number("beams", SUM_BEAMS, 1, low=1, high=8, what="beam width"))
loaded, _ = engine_picker("summarize")

text = st.text_area(t("Text to summarize (up to {max_summary_chars} characters, about {number} "
                      "pages)",
                      max_summary_chars=f"{seq2seq.MAX_SUMMARY_CHARS:,}", number=seq2seq.MAX_SUMMARY_CHARS // seq2seq.CHARS_PER_PAGE),
                    value=SAMPLE, height=240, key=SUM_TEXT, disabled=url.locked("text"))
c1, c2, c3 = st.columns(3)
words = c1.slider(t("Summary length (words)"), 10, 150, 40, 5, key=SUM_WORDS, disabled=url.locked("words"))
chunk_tokens = c2.slider(t("Chunk size (tokens)"), 64, 1024, 512, 32, key=SUM_CHUNK_TOKENS,
                         disabled=url.locked("chunk"),
                         help=t("The most tokens the model reads in one call. A longer text is cut "
                              "at sentence boundaries into parts of this size; each part is "
                              "summarized, then the partial summaries are summarized."))
beams = c3.slider(t("Beam width"), 1, 8, 1, key=SUM_BEAMS, disabled=url.locked("beams"),
                  help=t("1 = greedy and streamed; more beams are shown when done."))

go, stop = st.columns([1, 1])
run = go.button(t("Summarize"), type="primary", disabled=loaded is None, key=SUM_RUN)
stop.button(t("Stop"), help=t("Stops the summary; what was written so far is kept."))

if run and loaded is not None:
    st.session_state[SUM_OUTPUT] = {"text": "", "source": text}
    record = seq2seq.Seq2SeqRecord()
    options = seq2seq.SummaryOptions(words=int(words), chunk_tokens=int(chunk_tokens),
                                     num_beams=int(beams))
    bar = st.progress(0.0, text=t("Reading the text…"))

    def progress(done: int, total: int, label: str) -> None:
        bar.progress(min(1.0, done / max(total, 1)), text=t("{label} ({done}/{total} model calls)",
                                                            label=tm(label), done=done, total=total))

    with shown_errors(on_error=lambda: st.session_state.pop(SUM_OUTPUT, None)):
        with st.container(border=True, key="sum_output_box"):
            st.markdown(f"**{t('Summary')}**")
            stream_into_page(seq2seq.summarize_stream(loaded, text, options, progress,
                                                      record=record),
                             st.session_state[SUM_OUTPUT])
        bar.progress(1.0, text=t("Done: {n_chunks} part(s), {number} step(s) of summarizing.",
                                 n_chunks=record.n_chunks, number=len(record.rounds) + 1))
        st.session_state[SUM_OUTPUT].update(result_record(loaded, record))
elif st.session_state.get(SUM_OUTPUT):
    with st.container(border=True, key="sum_output_box"):
        st.markdown(f"**{t('Summary')}**")
        st.text(st.session_state[SUM_OUTPUT]["text"])

output = st.session_state.get(SUM_OUTPUT)
if output and "model" in output:
    answered_by(output, "Summarized")
    ratio = seq2seq.compression_ratio(output["source"], output["text"])
    m1, m2, m3 = st.columns(3)
    m1.metric(t("Compression"), f"{ratio:.1f}×" if ratio else "–",
              help=t("Words in the text divided by words in the summary."))
    m2.metric(t("Parts read"), output["n_chunks"], help=t("Chunks of whole sentences (map step)."))
    m3.metric(t("Summarizing steps"), len(output["rounds"]) + 1,
              help=t("Map rounds over the parts, plus the final summary."))
    if output["rounds"]:
        with st.expander(t("Partial summaries (the map step), in the order of the text")):
            for r, partials in enumerate(output["rounds"]):
                st.markdown(t("**Round {number}**", number=r + 1))
                for i, partial in enumerate(partials):
                    st.text(f"{i + 1}. {partial}")
    # Open while a reference is there: the rerun after a paste must not fold it shut.
    with st.expander(t("Score against a reference summary (ROUGE)"),
                     expanded=bool(st.session_state.get(SUM_REFERENCE, "").strip())):
        reference = st.text_area(t("Reference"), key=SUM_REFERENCE, height=100,
                                 placeholder=t("Paste a summary written by a person…"))
        if reference.strip():
            with shown_errors():
                score_table(rouge(output["text"], reference))
    cross_attention_section(output, SUM_XATTN_LAYER, SUM_XATTN_HEAD)
