"""Translate: a language pair from the catalog, source and translation side by side."""

import streamlit as st

from components.navigation import use_router
from components.controls import stream_into_page
from components.errors import shown_errors
from components.i18n import t
from components import url_state
from components.lessons import show_lesson
from components.seq2seq_view import (answered_by, cross_attention_section, engine_picker,
                                     result_record, score_table)
from lmlab import languages, seq2seq, seq2seq_engines
from lmlab.scoring import translation_scores

# This page's widget and session keys (keys shared between pages live in components.state).
TR_SOURCE_LANG = "tr_source_lang"
TR_TARGET_LANG = "tr_target_lang"
TR_SWAP = "tr_swap"
TR_TEXT = "tr_text"
TR_BEAMS = "tr_beams"
TR_MAX_NEW_TOKENS = "tr_max_new_tokens"
TR_RUN = "tr_run"
TR_OUTPUT = "tr_output"  # the last translation of this session
TR_REFERENCE = "tr_reference"
TR_XATTN_CHUNK = "tr_xattn_chunk"
TR_XATTN_LAYER = "tr_xattn_layer"
TR_XATTN_HEAD = "tr_xattn_head"


use_router()

st.title(f"🌐 {t('Translate')}")
show_lesson("translate")

pairs = seq2seq_engines.language_pairs()
sources = seq2seq_engines.source_languages()

# A shared link may ask for a pair (?src=en&tgt=de); an unknown one gets one sentence.
asked = (st.query_params.get("src"), st.query_params.get("tgt"))
if all(asked) and TR_SOURCE_LANG not in st.session_state:
    with shown_errors():
        seq2seq_engines.check_pair(*asked)
        st.session_state[TR_SOURCE_LANG], st.session_state[TR_TARGET_LANG] = asked


def swap() -> None:
    """Reverse the pair; the translation becomes the new source text."""
    src, tgt = st.session_state[TR_SOURCE_LANG], st.session_state[TR_TARGET_LANG]
    st.session_state[TR_SOURCE_LANG], st.session_state[TR_TARGET_LANG] = tgt, src
    output = st.session_state.get(TR_OUTPUT)
    if output and output.get("text", "").strip():
        st.session_state[TR_TEXT] = output["text"].strip()
        st.session_state.pop(TR_OUTPUT, None)


if st.session_state.get(TR_SOURCE_LANG) not in sources:
    st.session_state[TR_SOURCE_LANG] = "en" if "en" in sources else sources[0]
col_src, col_swap, col_tgt = st.columns([5, 2, 5], vertical_alignment="bottom")
src = col_src.selectbox(t("Source language"), sources, format_func=lambda code: t(languages.name(code)),
                        key=TR_SOURCE_LANG)
targets = seq2seq_engines.target_languages(src)
if st.session_state.get(TR_TARGET_LANG) not in targets:
    st.session_state[TR_TARGET_LANG] = targets[0]
tgt = col_tgt.selectbox(t("Target language"), targets, format_func=lambda code: t(languages.name(code)),
                        key=TR_TARGET_LANG)
col_swap.button(f"⇄ {t('Swap')}", on_click=swap, key=TR_SWAP, width="stretch",
                disabled=(tgt, src) not in pairs,
                help=t("Reverse the direction; the translation becomes the new source text."))

st.query_params["src"], st.query_params["tgt"] = src, tgt  # the pair stays in the link
url = url_state.PageURL("translate")  # ?src=…&tgt=… (read above), &text=…&beams=…
url.bind(url_state.text("text", TR_TEXT,
                        "The cat sat on the mat. It is raining today, so we stay at home.",
                        max_chars=seq2seq.MAX_TRANSLATE_CHARS),
         url_state.number("beams", TR_BEAMS, 1, low=1, high=8, what="beam width"))
loaded, _ = engine_picker("translate", (src, tgt))

left, right = st.columns(2)
text = left.text_area(t("Text to translate ({name}, up to {max_translate_chars} characters)",
                        name=t(languages.name(src)), max_translate_chars=f"{seq2seq.MAX_TRANSLATE_CHARS:,}"),
                      value="The cat sat on the mat. It is raining today, so we stay at home.",
                      height=220, key=TR_TEXT, disabled=url.locked("text"))
with st.expander(t("Decoding settings")):
    c1, c2 = st.columns(2)
    beams = c1.slider(t("Beam width"), 1, 8, 1, key=TR_BEAMS, disabled=url.locked("beams"),
                      help=t("1 = greedy and streamed; more beams keep several candidate "
                           "translations and show the best when done."))
    max_new = c2.number_input(t("Max new tokens per part (8–512)"), 8, 512, 160, step=8,
                              key=TR_MAX_NEW_TOKENS)

go, stop = st.columns([1, 1])
run = go.button(t("Translate"), type="primary", disabled=loaded is None, key=TR_RUN)
stop.button(t("Stop"), help=t("Stops the stream; the text so far is kept."))

with right:
    st.markdown(t("**Translation** ({name})", name=t(languages.name(tgt))))
    box = st.container(border=True, key="tr_output_box", height=220)

if run and loaded is not None:
    st.session_state[TR_OUTPUT] = {"text": "", "src": src, "tgt": tgt, "source": text}
    record = seq2seq.Seq2SeqRecord()
    params = seq2seq.Seq2SeqParams(max_new_tokens=int(max_new), num_beams=int(beams))

    with shown_errors(on_error=lambda: st.session_state.pop(TR_OUTPUT, None)):
        with box:
            with st.spinner(t("Translating…")):
                # Stop (a rerun) keeps what has streamed so far.
                stream_into_page(seq2seq.translate_stream(loaded, text, src, tgt, params,
                                                          record=record),
                                 st.session_state[TR_OUTPUT])
        st.session_state[TR_OUTPUT].update(result_record(loaded, record))
elif st.session_state.get(TR_OUTPUT):
    with box:
        st.text(st.session_state[TR_OUTPUT]["text"])

output = st.session_state.get(TR_OUTPUT)
if output and "model" in output:
    answered_by(output, "Translated")
    if output["n_chunks"] > 1:
        st.caption(t("The text was translated in {n_chunks} parts of whole sentences.",
                     n_chunks=output['n_chunks']))
    with st.expander(t("Score against a reference translation (BLEU, chrF)")):
        reference = st.text_area(t("Reference ({name})", name=t(languages.name(output["tgt"]))),
                                 key=TR_REFERENCE, height=100,
                                 placeholder=t("Paste a translation written by a person…"))
        if reference.strip():
            with shown_errors():
                score_table(translation_scores(output["text"], reference, output["tgt"]))
    cross_attention_section(output, TR_XATTN_LAYER, TR_XATTN_HEAD,
                            TR_XATTN_CHUNK)
