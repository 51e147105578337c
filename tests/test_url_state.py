"""Links that open the exact view: every page's settings round-trip through the URL.

AppTest runs app.py (router and sidebar) on tiny models: a link's query
parameters become the widgets' values, a changed widget is written back to the
link, and a bad value (unknown model, layer 999, a text of 100,000 characters,
HTML) gets one sentence and the default, never an exception.
"""

from __future__ import annotations

import pytest
from apptest_helpers import all_text, link_box, open_link, opens_and_writes_back, widget
from streamlit.testing.v1.errors import AppTestError

from components import state
from lmlab.registry import get_spec
from lmlab.share_link import MAX_URL_CHARS, pack_text
from lmlab.sources import offline_available

needs_glove = pytest.mark.skipif(not offline_available(get_spec("glove-6B-50d")),
                                 reason="the embedded GloVe vectors are not installed")
ATTACK = '<img src=x onerror="alert(1)"><script>alert(2)</script>[link](http://evil.example)'


# page, the link's parameters, the widget each one sets (key, expected value),
# then one widget change and the parameter it must write.
ROUND_TRIPS = [
    ("pages/next_token.py",
     {"text": "the dog ran", "temperature": "0.5", "top_k": "7", "model": "tiny/llama-chat"},
     {"next_prompt": "the dog ran", "next_temperature": 0.5, "next_top_k": 7,
      state.model_key("generate"): "tiny/llama-chat"},
     ("next_temperature", 1.25, "temperature", "1.25")),
    ("pages/token_lens.py", {"text": "a b c d e"}, {"lens_text": "a b c d e"},
     ("lens_text", "the end", "text", "the end")),
    ("pages/attention.py", {"text": "one two three four", "layer": "1", "head": "2", "pos": "2"},
     {"att_text": "one two three four", "att_layer": 1, "att_head": 2, "att_rollout_token": 2},
     ("att_head", 3, "head", "3")),
    ("pages/attention_math.py", {"text": "we like cats", "layer": "1", "head": "1", "i": "2",
                                 "j": "1"},
     {"am_text": "we like cats", "am_layer": 1, "am_head": 1, "am_query": 2, "am_key": 1},
     ("am_head", 0, "head", "0")),
    ("pages/embeddings.py", {"items": "cat\ndog\nfish", "preset": "Custom (edit the list)",
                             "method": "pca", "dims": "3"},
     {"emb_items": "cat\ndog\nfish", "emb_dims": 3, "emb_method": "pca"},
     ("emb_dims", 2, "dims", "2")),
    ("pages/generate.py", {"prompt": "In the year 3000", "strategy": "sample",
                           "temperature": "1.2", "top_k": "5", "seed": "7"},
     {"gen_prompt": "In the year 3000", "gen_strategy": "sample", "gen_temperature": 1.2,
      "gen_top_k": 5, "gen_seed": 7},
     ("gen_top_p", 0.5, "top_p", "0.5")),
    ("pages/chat.py", {"system": "You are a pirate. Say Arr.", "temperature": "0.9",
                       "max_new": "64"},
     {"chat_system_prompt": "You are a pirate. Say Arr.", "chat_temperature": 0.9,
      "chat_max_new_tokens": 64},
     ("chat_temperature", 0.0, "temperature", "0")),
    ("pages/summarize.py", {"text": "A short text. It has two sentences.", "words": "20",
                            "beams": "2"},
     {"sum_text": "A short text. It has two sentences.", "sum_words": 20, "sum_beams": 2},
     ("sum_chunk_tokens", 256, "chunk", "256")),
    ("pages/translate.py", {"src": "en", "tgt": "de", "text": "Good morning.", "beams": "3"},
     {"tr_source_lang": "en", "tr_target_lang": "de", "tr_text": "Good morning.",
      "tr_beams": 3},
     ("tr_beams", 1, "beams", "1")),
    ("pages/interpret.py", {"text": "the cat sat on the mat", "view": "flow", "pos": "2",
                            "row": "1", "layer": "1", "head": "3", "threshold": "0.25",
                            "steps": "32", "clean": "a king and a queen",
                            "corrupt": "a queen and a king", "answer": " ruled",
                            "wrong": " walked"},
     {"ld_text": "the cat sat on the mat", "ld_position": 2, "ld_flow_threshold": 0.25,
      "ld_saliency_steps": 32, "ld_patch_clean": "a king and a queen",
      "ld_patch_corrupted": "a queen and a king", "ld_patch_answer": " ruled",
      "ld_patch_wrong": " walked"},
     ("ld_flow_threshold", 0.3, "threshold", "0.3")),
    ("pages/train.py", {"section": "masked"}, {"train_section": "masked"},
     ("train_section", "compare", "section", "compare")),
    pytest.param("pages/glove.py", {"expr": "paris - france + italy", "answers": "5",
                                    "word": "tree"},
                 {"glove_expr": "paris - france + italy", "glove_topk": 5,
                  "glove_neighbour_word": "tree"},
                 ("glove_sim_a", "lion", "a", "lion"), marks=needs_glove),
]


@pytest.mark.parametrize("page, params, expected, change", ROUND_TRIPS,
                         ids=[(r.values if hasattr(r, "values") else r)[0].split("/")[1]
                              for r in ROUND_TRIPS])
def test_link_sets_the_widgets_and_a_change_is_written_back(tiny_catalog, page, params,
                                                             expected, change):
    at = opens_and_writes_back(page, params, expected, change)
    # The copy-link box offers the whole view, the changed value included.
    _, _, name, raw = change
    assert f"{name}={raw}" in link_box(at) or name == "text"


def test_unknown_model_gets_a_sentence_and_the_default(tiny_catalog):
    at = open_link("pages/next_token.py", model="no-such/model", text="hello")
    assert "names a model that this page does not have; the page shows its default" in " ".join(w.value for w in at.warning)
    assert widget(at, state.model_key("generate")).value == "tiny/llama-chat"
    assert at.query_params["model"] == "tiny/llama-chat"
    assert not at.error


def test_layer_999_gets_a_sentence_and_layer_0(tiny_catalog):
    at = open_link("pages/attention.py", text="one two three", layer="999", head="abc")
    warnings = " ".join(w.value for w in at.warning)
    assert "layer 999" in warnings and "from 0 to 1" in warnings  # the tiny model has 2 layers
    assert "head is not a number" in warnings
    assert widget(at, "att_layer").value == 0 and widget(at, "att_head").value == 0
    assert at.query_params["layer"] == "0"
    assert len(at.get("plotly_chart")) >= 2  # the page still draws its figures


def test_text_of_100000_characters_is_refused_with_a_sentence(tiny_catalog):
    at = open_link("pages/token_lens.py", text="word " * 20_000)
    warnings = " ".join(w.value for w in at.warning)
    assert "100,000 characters" in warnings and "the page keeps its own" in warnings
    assert widget(at, "lens_text").value.startswith("The cat sat on the mat")
    assert not at.error


def test_html_in_a_value_stays_plain_text(tiny_catalog):
    at = open_link("pages/next_token.py", text=ATTACK, temperature="<b>1</b>", model=ATTACK)
    assert widget(at, "next_prompt").value == ATTACK  # shown as text in the text box
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 2 and not any("<" in w or "evil" in w for w in warnings)
    for element in at.markdown:  # no markdown or HTML element carries the link's value
        assert "onerror" not in element.value and "evil.example" not in element.value


def test_long_text_is_compressed_within_the_url_limit(tiny_catalog):
    text = "The cat sat on the mat and the dog sat on the log. " * 35  # 1,785 characters
    at = open_link("pages/attention_math.py", text=pack_text(text))
    assert widget(at, "am_text").value == text
    raw = at.query_params["text"]
    assert raw.startswith("z:") and len(raw) < 400
    [link] = [c.value for c in at.code if "text=" in c.value]
    assert len(link) < MAX_URL_CHARS


def test_a_damaged_compressed_text_gets_a_sentence(tiny_catalog):
    at = open_link("pages/token_lens.py", text="z:not-really-zlib")
    assert "damaged" in " ".join(w.value for w in at.warning)
    assert not at.error


def test_working_text_carries_from_page_to_page(tiny_catalog):
    at = open_link("pages/next_token.py")
    at.text_area(key="next_prompt").set_value("my own sentence here").run()
    at.switch_page("pages/attention.py")
    at.query_params.clear()  # a page switch starts with an empty address bar
    at.run()
    assert widget(at, "att_text").value == "my own sentence here"
    at.text_area(key="att_text").set_value("changed on attention").run()
    at.switch_page("pages/token_lens.py")
    at.query_params.clear()
    at.run()
    assert widget(at, "lens_text").value == "changed on attention"


def test_open_in_attention_opens_the_same_text_at_the_last_token(tiny_catalog):
    at = open_link("pages/next_token.py", text="the cat sat on")
    at.button(key="next_open_attention").click().run()
    assert not at.exception
    text = widget(at, "att_text")
    assert text.value == "the cat sat on"
    position = widget(at, "att_rollout_token")
    assert position.value == position.options.index(position.options[-1])
    assert at.query_params["text"] == "the cat sat on"


def test_locked_controls_are_disabled_and_keep_the_link_value(tiny_catalog):
    at = open_link("pages/attention.py", text="one two three", layer="1", lock="text,layer")
    layer, text = widget(at, "att_layer"), widget(at, "att_text")
    assert layer.disabled and text.disabled and "🔒" in layer.label and "🔒" in text.label
    assert not widget(at, "att_head").disabled
    with pytest.raises(AppTestError, match="disabled"):
        layer.set_value(0)
    at.session_state["att_layer"] = 0  # whatever the browser sends, the locked value stays
    at.run()
    assert widget(at, "att_layer").value == 1
    assert at.query_params["lock"] == "layer,text"
    # The lock holds on the next page of the session too.
    at.switch_page("pages/next_token.py")
    at.query_params.clear()
    at.run()
    assert widget(at, "next_prompt").disabled
    assert at.query_params["lock"] == "layer,text"


def test_hidden_control_is_hidden_by_css(tiny_catalog):
    at = open_link("pages/next_token.py", text="hi there", hide="temperature")
    styles = " ".join(str(h.proto.body) for h in at.get("html"))
    assert ".st-key-next_temperature { display: none; }" in styles
    assert widget(at, "next_temperature").disabled


def test_presenter_mode_from_the_link(tiny_catalog):
    at = open_link("pages/attention.py", text="one two three", present="1")
    assert at.toggle(key=state.PRESENTER).value is True
    styles = " ".join(str(h.proto.body) for h in at.get("html"))
    assert "Presenter mode" in styles
    assert at.query_params["present"] == "1"
    heatmap = at.get("plotly_chart")[0]
    assert '"size":20' in heatmap.proto.spec.replace(" ", "")  # projector-sized type
    at.toggle(key=state.PRESENTER).set_value(False).run()
    assert "present" not in at.query_params
    heatmap = at.get("plotly_chart")[0]
    assert '"size":20' not in heatmap.proto.spec.replace(" ", "")


def test_translate_pair_from_the_link_still_works(tiny_catalog):
    at = open_link("pages/translate.py", src="en", tgt="de")
    assert at.selectbox(key="tr_source_lang").value == "en"
    assert at.selectbox(key="tr_target_lang").value == "de"
    assert "Translate" in all_text(at)


def test_a_rerun_carrying_the_old_address_bar_keeps_what_was_just_typed(tiny_catalog):
    """A rerun sends the address bar as the browser last had it: typing the next field before
    the new link arrived sent the old text back. The page keeps what the user typed."""
    at = open_link("pages/next_token.py", text="the dog ran")
    at.text_area(key="next_prompt").set_value("a brand new prompt").run()
    assert at.query_params["text"] == "a brand new prompt"
    at.query_params["text"] = "the dog ran"  # the stale address bar of the next rerun
    at.slider(key="next_temperature").set_value(0.5).run()
    assert not at.exception and not at.warning
    assert widget(at, "next_prompt").value == "a brand new prompt"
    assert at.query_params["text"] == "a brand new prompt"
    at.query_params["text"] = "a link this session never had"  # a link still opens
    at.run()
    assert widget(at, "next_prompt").value == "a link this session never had"


def test_open_in_sets_a_text_the_page_had_before(tiny_catalog):
    at = open_link("pages/attention.py", text="first text on attention")
    at.text_area(key="att_text").set_value("second text on attention").run()
    at.switch_page("pages/next_token.py")
    at.query_params.clear()
    at.run()
    at.text_area(key="next_prompt").set_value("first text on attention").run()
    at.button(key="next_open_attention").click().run()
    assert not at.exception
    assert widget(at, "att_text").value == "first text on attention"
