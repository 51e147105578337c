"""AppTest runs of the Look deeper page (logit lens, flow, patching, saliency) on tiny models."""

import math
import re

from apptest_helpers import all_text, open_page

PAGE = "pages/interpret.py"
TEXT = "the cat sat on the mat . the dog"


def with_text(at, text):
    at.text_area(key="ld_text").set_value(text).run()
    assert not at.exception, at.exception
    return at


def memo(at, name):
    """The latest value the page memoised under `name` (components.memo)."""
    return list(at.session_state[f"memo:{name}"].values())[-1]


def downloads(at):
    return [b for b in at.get("download_button")]


def test_lens_and_flow_on_the_text(tiny_catalog):
    at = with_text(open_page(PAGE), TEXT)
    assert not at.error, [e.value for e in at.error]
    trace = memo(at, "ld_trace")
    grid = memo(at, "ld_lens")
    assert grid.n_tokens == trace.n_tokens and grid.n_rows == trace.n_layers + 1
    assert at.session_state["ld_position"] == trace.n_tokens - 1  # the last token by default
    cell = next(df.value for df in at.dataframe if "rank" in df.value.columns)
    assert list(cell["rank"]) == [1, 2, 3, 4, 5]
    assert math.isclose(float(cell["probability"][0]), float(grid.top_probs[-1, -1, 0]), rel_tol=1e-6)
    found = re.search(r"the shares add up to (-?[0-9.]+); the model's own logit is (-?[0-9.]+)\.",
                      all_text(at))
    assert found and abs(float(found.group(1)) - float(found.group(2))) < 1e-3
    at.selectbox(key="ld_position").set_value(2).run()
    assert not at.exception and not at.error
    assert "at position 2" in all_text(at)
    at.slider(key="ld_flow_threshold").set_value(0.3).run()
    assert not at.exception
    assert len(downloads(at)) >= 3  # lens, flow and edges tables
    assert any(b.label == "↗ Open in Attention" for b in at.button)


def test_patching_grid_and_heads(tiny_catalog):
    at = open_page(PAGE)
    at.text_input(key="ld_patch_clean").set_value("a king and a queen")
    at.text_input(key="ld_patch_corrupted").set_value("a queen and a king")
    at.text_input(key="ld_patch_answer").set_value(" ruled")
    at.text_input(key="ld_patch_wrong").set_value(" walked")
    at.button(key="ld_patch_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    saved = at.session_state["ld_patch_result"]
    assert not saved["stopped"] and saved["grid"].shape == (2, 6)
    restored = saved["setup"].restored(saved["grid"])
    assert abs(float(restored[0, 0])) < 1e-4  # same first token "a": nothing to restore
    assert any("first token" in i.value for i in at.info)  # " ruled" is several tokens
    at.number_input(key="ld_patch_head_layer").set_value(1)
    at.button(key="ld_patch_heads_run").click().run()
    assert not at.exception and not at.error
    heads = at.session_state["ld_patch_result"]["heads"]
    assert heads[0] == 1 and heads[1].shape == (4, 6)


def test_patching_bad_input_keeps_the_page(tiny_catalog):
    at = open_page(PAGE)
    at.text_input(key="ld_patch_corrupted").set_value("the dog")
    at.button(key="ld_patch_run").click().run()
    assert not at.exception
    assert len(at.error) == 1 and "same number of tokens" in at.error[0].value
    at.text_input(key="ld_patch_corrupted").set_value("")
    at.button(key="ld_patch_run").click().run()
    assert [e.value for e in at.error] == ["Please type a corrupted prompt to compare with."]


def test_saliency_on_the_text(tiny_catalog):
    at = with_text(open_page(PAGE), TEXT)
    at.slider(key="ld_saliency_steps").set_value(64)
    at.button(key="ld_saliency_run").click().run()
    assert not at.exception and not at.error
    result = at.session_state["ld_saliency_result"]["result"]
    assert len(result.integrated) == memo(at, "ld_trace").n_tokens
    assert result.completeness_gap < 0.05
    assert "Integrated gradients add up to" in all_text(at)


def test_bad_text_gives_one_sentence(tiny_catalog):
    at = with_text(open_page(PAGE), "   ")
    assert [e.value for e in at.error] == ["Please type some text to look at."]
    at = with_text(at, "the cat " * 60)
    assert len(at.error) == 1 and "the limit here is" in at.error[0].value


def test_a_text_to_text_model_is_refused(tiny_catalog):
    at = open_page(PAGE)
    assert at.selectbox(key="model_generate").value == "tiny/llama-chat"
    at.selectbox(key="model_generate").set_value("tiny/gpt2").run()
    assert not at.exception and not at.error
    assert memo(at, "ld_trace").parts.family == "gpt2"


def test_next_token_opens_look_deeper_on_the_same_text(tiny_catalog):
    at = open_page("pages/next_token.py")
    at.text_area(key="next_prompt").set_value("the cat sat on the").run()
    at.button(key="next_open_deeper").click().run()
    assert not at.exception, at.exception
    assert at.text_area(key="ld_text").value == "the cat sat on the"
    trace = memo(at, "ld_trace")
    assert trace.tokens[-1] == " the" and at.session_state["ld_position"] == trace.n_tokens - 1


def test_token_probabilities_open_one_token(tiny_catalog):
    at = open_page("pages/token_lens.py")
    at.text_area(key="lens_text").set_value("the cat sat on the mat")
    at.button(key="lens_run").click().run()
    at.selectbox(key="lens_deeper_token").set_value(3)
    at.button(key="lens_open_deeper").click().run()
    assert not at.exception, at.exception
    assert at.session_state["ld_position"] == 2  # token 3 is predicted after position 2
    assert at.text_area(key="ld_text").value == "the cat sat on the mat"
    assert memo(at, "ld_trace").n_tokens > 3 and not at.error


def test_a_head_opens_in_the_attention_pages(tiny_catalog):
    at = with_text(open_page(PAGE), TEXT)
    at.session_state["ld_head_layer"] = 1
    at.session_state["ld_head"] = 3
    at.run()
    assert "Head **3** of layer **1**" in all_text(at)
    at.button(key="ld_open_attention_math").click().run()
    assert not at.exception, at.exception
    assert at.text_area(key="am_text").value == TEXT
    assert at.session_state["am_layer"] == 1 and at.session_state["am_head"] == 3
