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
    assert at.button(key="ld_patch_stop").disabled  # nothing to stop yet
    at.text_input(key="ld_patch_clean").set_value("a king and a queen")
    at.text_input(key="ld_patch_corrupted").set_value("a queen and a king")
    at.text_input(key="ld_patch_answer").set_value(" ruled")
    at.text_input(key="ld_patch_wrong").set_value(" walked")
    at.button(key="ld_patch_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert not at.button(key="ld_patch_stop").disabled  # drawn while the grid ran
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
    assert at.button(key="ld_patch_stop").disabled  # idle again
    assert not any("Stopped" in i.value for i in at.info)


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


def test_patching_and_saliency_in_chinese_show_no_english(tiny_catalog):
    """The results only appear after a button: rendered in Chinese, they hold no English
    (notes from the core, metrics, headers), and the lens table's columns are Chinese."""
    from components import i18n, state
    from test_i18n_complete import english_left, open_in

    i18n.MISSING.clear()
    at = open_in("zh", PAGE)
    at.text_input(key="ld_patch_clean").set_value("a king and a queen")
    at.text_input(key="ld_patch_corrupted").set_value("a queen and a king")
    at.text_input(key="ld_patch_answer").set_value(" ruled")  # several tokens: a note
    at.text_input(key="ld_patch_wrong").set_value(" walked")
    at.button(key="ld_patch_run").click().run()
    at.button(key="ld_patch_heads_run").click().run()
    at.button(key="ld_saliency_run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.session_state["ld_patch_result"]["heads"] is not None
    assert any("第一个词元" in i.value for i in at.info)  # the core's note, translated
    assert not english_left(at), english_left(at)
    assert not i18n.MISSING, sorted(i18n.MISSING)
    cell = next(df.value for df in at.dataframe if "排名" in df.value.columns)
    assert list(cell["排名"]) == [1, 2, 3, 4, 5]
    assert at.session_state[state.LANGUAGE] == "zh"


def tab_shown(at) -> int:
    return at.get("tab_container")[0].proto.tab_container.default_tab_index


def test_a_link_opens_its_view_and_a_language_switch_keeps_it(tiny_catalog):
    from components import state
    from test_url_state import open_link

    at = open_link(PAGE, text=TEXT, view="saliency")
    assert tab_shown(at) == 3 and at.session_state["ld_view"] == "saliency"
    assert at.query_params["view"] == "saliency"
    at.session_state[state.LANGUAGE] = "zh"
    at.run()
    assert tab_shown(at) == 3 and at.tabs[3].label == "显著性"
    at = open_link(PAGE, text=TEXT, view="nope")
    assert any("view that this page does not have" in w.value for w in at.warning)
    assert tab_shown(at) == 0 and at.query_params["view"] == "lens"


def test_a_link_sets_the_flow_and_saliency_tokens(tiny_catalog):
    from test_url_state import open_link

    at = with_text(open_page(PAGE), TEXT)
    trace = memo(at, "ld_trace")
    second = trace.logits[2].topk(5).indices.tolist()[1]  # the model's 2nd choice after #2
    last = trace.logits[-1].topk(5).indices.tolist()[3]
    at = open_link(PAGE, text=TEXT, pos="2", token=str(second), target=str(last), head="-1",
                   layer="1", row="1")
    assert not at.warning, [w.value for w in at.warning]
    assert "**after layer 0**, position 2" in all_text(at)  # lens row 1
    assert at.selectbox(key="ld_flow_token").value == second
    assert at.selectbox(key="ld_saliency_token").value == last
    assert "MLP of layer 1" in all_text(at)
    at = open_link(PAGE, text=TEXT, pos="2", token="999999", head="9", row="-3")
    warnings = " ".join(w.value for w in at.warning)
    assert "predicted token that this page does not have" in warnings
    assert "head 9" in warnings and "row -3" in warnings
    top = trace.logits[2].topk(1).indices.tolist()[0]
    assert at.selectbox(key="ld_flow_token").value == top and at.session_state["ld_head"] == 0


def click_tab(at, label: str):
    """What the browser sends when a student clicks a tab (AppTest has no tab clicks)."""
    states = at._tree.get_widget_states()
    clicked = states.widgets.add()
    clicked.id = at.get("tab_container")[0].proto.tab_container.id
    clicked.string_value = label
    at._run(widget_state=states)
    assert not at.exception, at.exception
    return at


def test_a_clicked_tab_goes_into_the_link_in_any_language(tiny_catalog):
    from components import state
    from test_i18n_complete import open_in

    at = click_tab(open_in("zh", PAGE), "信息流")
    assert at.session_state["ld_view"] == "flow" and at.query_params["view"] == "flow"
    assert tab_shown(at) == 1
    at.session_state[state.LANGUAGE] = "en"
    at.run()
    assert tab_shown(at) == 1 and at.tabs[1].label == "Information flow"
    click_tab(at, "Activation patching")
    assert at.query_params["view"] == "patching" and tab_shown(at) == 2
