"""AppTest runs of the home and generation pages on tiny models."""

from apptest_helpers import all_text, open_page

from components import state
from components.navigation import PAGES


def test_home_links_every_page(tiny_catalog):
    at = open_page("pages/home.py")
    text = all_text(at)
    assert "LM Lab" in text
    for info in PAGES:
        if info.path != "pages/home.py":
            assert info.blurb in text


def test_generation_streams_text_from_the_model(tiny_catalog):
    at = open_page("pages/generate.py")
    assert at.selectbox(key=state.model_key("generate")).value == "tiny/llama-chat"
    at.text_area(key="gen_prompt").set_value("the cat sat")
    at.number_input(key="gen_max_new_tokens").set_value(8)
    at.button(key="gen_run").click().run()
    assert not at.exception and not at.error
    output = at.session_state["gen_output"]
    assert output["prompt"] == "the cat sat" and output["text"]


def test_empty_prompt_gets_one_sentence(tiny_catalog):
    at = open_page("pages/generate.py")
    at.text_area(key="gen_prompt").set_value("   ")
    at.button(key="gen_run").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == ["Please type a prompt first."]


def test_prompt_over_the_context_gets_one_sentence(tiny_catalog):
    at = open_page("pages/generate.py")
    at.text_area(key="gen_prompt").set_value("the cat sat on the mat . " * 60)
    at.button(key="gen_run").click().run()
    assert not at.exception
    assert len(at.error) == 1 and "context" in at.error[0].value


def test_hub_only_model_offline_says_so(tiny_catalog):
    at = open_page("pages/generate.py")
    at.selectbox(key=state.model_key("generate")).set_value("gpt2").run()
    assert not at.exception
    assert len(at.error) == 1 and "Hub" in at.error[0].value
