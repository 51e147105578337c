"""AppTest runs of the attention-math page on tiny models."""

import math

from apptest_helpers import all_text, open_page

from components import state
from lmlab.attention_math import MAX_MATH_TOKENS
from lmlab.toy_attention import default_toy

PAGE = "pages/attention_math.py"


def compute(at, text):
    at.text_area(key="am_text").set_value(text)
    at.button(key="am_compute").click().run()
    assert not at.exception
    return at


def test_cell_math_on_the_model(tiny_catalog):
    at = open_page(PAGE)
    assert at.selectbox(key=state.model_key("generate")).value == "tiny/llama-chat"
    compute(at, "the cat sat on the mat .")
    assert not at.error
    capture = at.session_state["am_capture"]["capture"]
    n = capture.n_tokens
    assert at.number_input(key="am_query").value == n - 1  # last token by default
    at.number_input(key="am_layer").set_value(1)
    at.number_input(key="am_head").set_value(3)
    at.number_input(key="am_query").set_value(4)
    at.number_input(key="am_key").set_value(2).run()
    assert not at.exception and not at.error
    text = all_text(at)
    assert "share key/value head 1" in text  # grouped-query attention is explained
    assert "the row sums to **1.000000**" in text
    # The softmax-row table holds the recomputed row; its weights sum to 1.
    row = next(df.value for df in at.dataframe if "weight" in df.value.columns
               and "mask" in df.value.columns)
    assert len(row) == n and math.isclose(row["weight"].sum(), 1.0, abs_tol=1e-6)
    assert list(row["mask"][5:]) == ["−∞"] * (n - 5)  # keys after query 4 are masked
    assert any(b.label.endswith("Download CSV") for b in at.get("download_button"))


def test_encoder_family_has_no_causal_mask(tiny_catalog):
    at = open_page(PAGE)
    at.radio(key="am_family").set_value("embed").run()
    assert at.selectbox(key=state.model_key("embed")).value == "tiny/bert"
    compute(at, "the cat sat on the mat .")
    at.number_input(key="am_query").set_value(0)
    at.number_input(key="am_key").set_value(3).run()
    assert not at.exception and not at.error
    assert "no causal mask" in all_text(at)
    assert "choose the decoder family" in all_text(at)  # ablation needs a decoder


def test_bad_inputs_get_one_sentence_and_keep_the_result(tiny_catalog):
    at = open_page(PAGE)
    compute(at, "   ")
    assert [e.value for e in at.error] == ["Please enter some text to look at."]
    compute(at, "the cat sat on the mat .")
    assert not at.error
    assert not any("Showing the last computed text" in c.value for c in at.caption)
    compute(at, "the cat sat on the mat . " * 20)
    assert len(at.error) == 1 and f"at most {MAX_MATH_TOKENS} tokens" in at.error[0].value
    assert at.session_state["am_capture"]["capture"].n_tokens < MAX_MATH_TOKENS  # kept
    assert any("Showing the last computed text" in c.value for c in at.caption)  # and said so
    at.number_input(key="am_key").set_value(99).run()
    assert not at.exception
    assert len(at.error) == 1 and "Key position must be between 0 and" in at.error[0].value


def test_ablation_and_positions(tiny_catalog):
    at = open_page(PAGE)
    at.text_area(key="am_ablation_text").set_value("the cat sat on the mat . the dog")
    at.number_input(key="am_ablation_layer").set_value(1)
    at.selectbox(key="am_ablation_head").set_value(2)
    at.button(key="am_ablation_run").click().run()
    assert not at.exception and not at.error
    result = at.session_state["am_ablation_result"]["result"]
    assert result.ablation.layer == 1 and result.ablation.head == 2
    assert "Without head 2 of layer 1" in all_text(at)
    at.button(key="am_ablation_sweep").click().run()
    assert not at.exception and not at.error
    assert len(at.session_state["am_ablation_sweep_result"]["without"]) == 4
    assert "rotary position embedding" in all_text(at)  # the tiny Llama's scheme
    at.text_area(key="am_ablation_text").set_value("")
    at.button(key="am_ablation_run").click().run()
    assert [e.value for e in at.error] == ["Please enter some text to score."]


def test_gpt2_positions_are_learned(tiny_catalog):
    at = open_page(PAGE)
    at.selectbox(key=state.model_key("generate")).set_value("tiny/gpt2").run()
    assert not at.exception and not at.error
    assert "learned its own position vectors" in all_text(at)


def test_toy_sliders_keep_rows_summing_to_one(tiny_catalog):
    at = open_page(PAGE)
    weights = next(df.value for df in at.dataframe if "row sum" in df.value.columns)
    assert list(weights["token"]) == list(default_toy().tokens)
    at.slider(key="am_toy_4_0").set_value(-1.5)
    at.toggle(key="am_toy_causal").set_value(True).run()
    assert not at.exception
    changed = next(df.value for df in at.dataframe if "row sum" in df.value.columns)
    assert all(abs(s - 1) < 1e-9 for s in changed["row sum"])
    assert changed.iloc[0, 2] == 0  # with the causal mask, token 0 cannot see token 1
    assert not changed.iloc[4, 1:6].equals(weights.iloc[4, 1:6])  # the slider moved "mice"
    at.button(key="am_toy_reset").click().run()
    assert at.slider(key="am_toy_4_0").value == default_toy().embeddings[4, 0]
