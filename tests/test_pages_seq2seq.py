"""AppTest runs of the Translate and Summarize pages on tiny models."""

import pytest
from apptest_helpers import all_text, open_page

from components import state
from lmlab.markup import unescape_markdown


@pytest.fixture()
def local_seq2seq(monkeypatch, tiny_catalog):
    """Let the tiny random encoder-decoder models answer (they are local folders)."""
    monkeypatch.setenv("LMLAB_LOCAL_SEQ2SEQ", "1")


def test_translate_with_an_encoder_decoder_shows_cross_attention(local_seq2seq):
    at = open_page("pages/translate.py")
    assert at.selectbox(key="tr_source_lang").value == "en"
    assert at.selectbox(key="tr_target_lang").value == "de"
    assert at.selectbox(key=state.engine_key("translate")).value == "tiny/marian-en-de"
    at.text_area(key="tr_text").set_value("The cat sat on the mat.")
    at.number_input(key="tr_max_new_tokens").set_value(8)
    at.button(key="tr_run").click().run()
    assert not at.exception and not at.error
    output = at.session_state["tr_output"]
    assert output["model"] == "Tiny Marian en→de" and not output["fallback"]
    assert len(output["attentions"]) == 1
    assert "Translated by Tiny Marian en→de (encoder-decoder)." in all_text(at)
    assert len(at.get("plotly_chart")) == 1
    at.selectbox(key="tr_xattn_layer").set_value(1).run()
    at.selectbox(key="tr_xattn_head").set_value(2).run()
    assert not at.exception and "layer 2 of 2 · head 3 of 4" in str(at.get("plotly_chart")[0].proto)


def test_translate_offline_falls_back_and_says_so(tiny_fallback):
    at = open_page("pages/translate.py")
    assert at.selectbox(key=state.engine_key("translate")).value == "tiny/llama-chat"
    assert any("Fallback" in w.value for w in at.warning)
    at.text_area(key="tr_text").set_value("The cat sat on the mat.")
    at.number_input(key="tr_max_new_tokens").set_value(8)
    at.button(key="tr_run").click().run()
    assert not at.exception and not at.error
    assert at.session_state["tr_output"]["fallback"]
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 1 and "Tiny Llama (chat)" in warnings[0] and "fallback" in warnings[0]
    notices = [e.value for kind in ("info", "warning", "caption") for e in getattr(at, kind)
               if "small chat model" in e.value]
    assert len(notices) == 1, notices  # the fallback is explained once, not twice
    assert any("decoder-only" in i.value for i in at.info)


def test_swap_reverses_the_pair(tiny_fallback):
    at = open_page("pages/translate.py")
    src = at.selectbox(key="tr_source_lang").value
    at.selectbox(key="tr_target_lang").set_value("de").run()
    assert src == "en"
    at.button(key="tr_swap").click().run()
    assert at.selectbox(key="tr_source_lang").value == "de"
    assert at.selectbox(key="tr_target_lang").value == "en"
    assert at.selectbox(key=state.engine_key("translate")).value == "tiny/llama-chat"


@pytest.mark.parametrize("text, expected", [
    ("  ", "Please type or paste some text to translate first."),
    ("Der Hund schläft auf dem Sofa, und die Katze sitzt auf dem Teppich im Haus.",
     "This text looks like German, not English: swap the languages."),
])
def test_bad_translation_input_is_one_sentence(tiny_fallback, text, expected):
    at = open_page("pages/translate.py")
    at.selectbox(key="tr_target_lang").set_value("de").run()
    at.text_area(key="tr_text").set_value(text)
    at.button(key="tr_run").click().run()
    assert not at.exception
    # Error sentences are markdown-escaped (they may quote the user's text); read them as shown.
    assert [unescape_markdown(e.value) for e in at.error] == [expected]
    assert at.text_area(key="tr_text").value == text  # the user's text is kept


def test_unknown_pair_in_the_link_is_one_sentence(tiny_fallback):
    from apptest_helpers import ROOT
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["src"] = "en"
    at.query_params["tgt"] = "tlh"
    at.run()
    at.switch_page("pages/translate.py")
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "LM Lab has no translation model for English → tlh; pick one of the listed language pairs."]
    assert at.selectbox(key="tr_source_lang").value == "en"  # the page still works


def test_summarize_in_chunks_with_an_encoder_decoder(local_seq2seq):
    at = open_page("pages/summarize.py")
    assert at.selectbox(key=state.engine_key("summarize")).value == "tiny/t5"
    at.text_area(key="sum_text").set_value(
        " ".join(f"the cat sat on the mat {i} ." for i in range(10)))
    at.slider(key="sum_words").set_value(10)
    at.slider(key="sum_chunk_tokens").set_value(64)
    at.button(key="sum_run").click().run()
    assert not at.exception and not at.error
    output = at.session_state["sum_output"]
    assert output["n_chunks"] > 1 and len(output["rounds"][0]) == output["n_chunks"]
    assert output["model"] == "Tiny T5" and len(output["attentions"]) == 1
    labels = [m.label for m in at.metric]
    assert "Compression" in labels and "Parts read" in labels
    assert len(at.get("plotly_chart")) == 1
    at.text_area(key="sum_reference").set_value(output["text"]).run()  # a perfect match
    assert not at.exception
    rouge = {m.label: m.value for m in at.metric if m.label.startswith("ROUGE")}
    assert list(rouge) == ["ROUGE-1", "ROUGE-2", "ROUGE-L"]


def test_summarize_offline_falls_back_and_says_so(tiny_fallback):
    at = open_page("pages/summarize.py")
    at.text_area(key="sum_text").set_value("the cat sat on the mat . the dog sat on the rug .")
    at.slider(key="sum_words").set_value(10)
    at.button(key="sum_run").click().run()
    assert not at.exception and not at.error
    output = at.session_state["sum_output"]
    assert output["fallback"] and "fallback" in at.warning[0].value
    assert any("decoder-only" in i.value for i in at.info)


def test_two_hundred_pages_are_refused(tiny_fallback):
    at = open_page("pages/summarize.py")
    text = "The cat sat on the mat. " * 21_000
    at.text_area(key="sum_text").set_value(text)
    at.button(key="sum_run").click().run()
    assert not at.exception
    assert len(at.error) == 1 and "about 202 pages" in at.error[0].value
    assert "30,000 characters" in at.error[0].value
