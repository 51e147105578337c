"""The language switch: the sidebar choice or ?lang=zh changes labels, errors and lessons."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from apptest_helpers import ROOT, open_page
from components import state
from lmlab.errors import InputError
from lmlab.i18n import translate_message
from lmlab.inputs import check_text


def test_switching_the_sidebar_to_chinese_translates_the_pages(tiny_catalog):
    at = open_page("pages/home.py")
    assert any(s.value == "Use a model" for s in at.subheader)
    at.selectbox(key=state.LANGUAGE).set_value("zh").run()
    assert not at.exception
    assert any(s.value == "使用模型" for s in at.subheader)
    assert any("课程" in e.label for e in at.expander)  # the Chinese lesson
    at.switch_page("pages/next_token.py").run()  # the choice carries to every page
    assert not at.exception
    assert at.title[0].value.endswith("下一个词元")
    assert at.text_area(key="next_prompt").label == "提示词"
    assert at.slider(key="next_temperature").label == "温度"
    at.selectbox(key=state.LANGUAGE).set_value("en").run()  # and back
    assert at.text_area(key="next_prompt").label.startswith("Prompt")


def test_a_link_with_lang_zh_opens_in_chinese(tiny_catalog):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["lang"] = "zh"
    at.run()
    assert not at.exception
    assert at.selectbox(key=state.LANGUAGE).value == "zh"
    assert any("首页" in str(e.value) or "LM Lab" in str(e.value) for e in at.title)
    assert any(s.value == "使用模型" for s in at.subheader)


def test_an_error_sentence_is_translated_with_its_numbers(tiny_catalog):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state[state.LANGUAGE] = "zh"
    at.run()
    at.switch_page("pages/generate.py").run()
    at.text_area(key="gen_prompt").set_value("   ")
    at.button(key="gen_run").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["请先输入提示词。"]


def test_core_sentences_keep_their_numbers():
    try:
        check_text("x" * 2345, what="The prompt", max_chars=2000)
    except InputError as error:
        sentence = str(error)
    assert "2,345" in sentence
    chinese = translate_message(sentence, "zh")
    assert chinese == "提示词有 2,345 个字符；这里的上限是 2,000 个字符，请缩短一些。"
    assert translate_message(sentence, "en") == sentence
    assert translate_message("A sentence nobody translated.", "zh") == "A sentence nobody translated."
