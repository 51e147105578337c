"""AppTest runs of the chat, next-token, token-lens and decoding-lab pages on tiny models."""

from lmlab.markup import unescape_markdown
from apptest_helpers import all_text, open_page

from components import state


def open_chat():
    """The chat page with settings that fit the tiny model's 128-token context."""
    at = open_page("pages/chat.py")
    at.text_area(key="chat_system_prompt").set_value("Be kind.")
    at.slider(key="chat_max_new_tokens").set_value(16)
    return at


def chat(at, text):
    at.chat_input(key="chat_input").set_value(text).run()
    assert not at.exception, at.exception
    return at


def test_chat_two_turns_keeps_history(tiny_catalog):
    at = open_chat()
    chat(at, "hello")
    chat(at, "<script>alert(1)</script> and you?")
    history = at.session_state["chat_history"]
    assert [m["role"] for m in history] == ["user", "assistant", "user", "assistant"]
    assert history[2]["content"] == "<script>alert(1)</script> and you?"
    # Shown as typed: escaped for markdown, never as HTML.
    shown = [m for m in at.markdown if unescape_markdown(m.value) == history[2]["content"]]
    assert shown and not any(m.allow_html for m in shown)
    assert all(m.value != history[2]["content"] for m in shown)
    assert not at.error


def test_bad_messages_lose_nothing(tiny_catalog):
    at = open_chat()
    chat(at, "hello")
    before = list(at.session_state["chat_history"])
    chat(at, "   ")
    assert [e.value for e in at.error] == ["Please type a message first."]
    chat(at, "x" * 100_000)
    assert len(at.error) == 1 and "100,000 characters" in at.error[0].value
    assert at.session_state["chat_history"] == before
    chat(at, "مرحبا \u200b 👋🏽")
    assert at.session_state["chat_history"][-2]["content"] == "مرحبا \u200b 👋🏽"


def test_regenerate_and_clear(tiny_catalog):
    at = open_chat()
    at.slider(key="chat_temperature").set_value(0.0)
    chat(at, "hello")
    assert "greedy" in all_text(at)  # temperature 0 runs as greedy, with a note
    first = at.session_state["chat_history"][-1]["content"]
    at.button(key="chat_regenerate").click().run()
    history = at.session_state["chat_history"]
    assert [m["role"] for m in history] == ["user", "assistant"]
    assert history[-1]["content"] == first  # greedy: the same reply again
    at.button(key="chat_clear").click().run()
    assert at.session_state["chat_history"] == []


def test_long_conversation_drops_old_turns_with_a_note(tiny_catalog):
    at = open_chat()
    for i in range(6):
        chat(at, f"the cat sat on the mat . the dog sat on the rug . {i}")
    assert "left out" in all_text(at)
    assert len(at.session_state["chat_history"]) == 12  # the history itself keeps everything


def test_stopped_reply_is_kept(tiny_catalog):
    at = open_chat()
    chat(at, "hello")
    at.session_state["chat_pending_reply"] = {"text": "partial repl"}  # a run cut off by Stop
    at.run()
    history = at.session_state["chat_history"]
    assert history[-1] == {"role": "assistant", "content": "partial repl", "stopped": True}
    assert "Stopped" in all_text(at)


def test_base_model_gets_a_note(tiny_catalog):
    at = open_chat()
    at.selectbox(key=state.model_key("generate")).set_value("tiny/gpt2").run()
    assert not at.exception
    assert len(at.warning) == 1 and "base model" in at.warning[0].value
    assert at.chat_input(key="chat_input").disabled


def test_next_token_explorer_steps_forward(tiny_catalog):
    at = open_page("pages/next_token.py")
    at.text_area(key="next_prompt").set_value("the cat sat on").run()
    assert not at.exception and not at.error
    entropy_warm = at.metric[0].value
    at.slider(key="next_temperature").set_value(0.2).run()
    assert at.metric[0].value != entropy_warm  # the same logits, reshaped
    at.slider(key="next_temperature").set_value(0.0).run()
    assert at.metric[0].value == "0.00 bits" and "greedy" in all_text(at)
    top_label = at.button(key="next_add_0").label
    at.button(key="next_add_0").click().run()
    prompt = at.text_area(key="next_prompt").value
    assert prompt.startswith("the cat sat on") and len(prompt) > len("the cat sat on")
    assert top_label.startswith("➕")
    at.button(key="next_back").click().run()
    assert at.text_area(key="next_prompt").value == "the cat sat on"
    at.text_area(key="next_prompt").set_value("  ").run()
    assert [e.value for e in at.error] == ["Please type a prompt first."]


def test_token_lens_scores_text(tiny_catalog):
    at = open_page("pages/token_lens.py")
    saved = at.session_state["lens_output"]  # the sample text is scored on arrival
    assert saved["score"].perplexity > 1
    at.text_area(key="lens_text").set_value("the cat sat on the mat . <script>x</script>")
    at.button(key="lens_run").click().run()
    assert not at.exception and not at.error
    score = at.session_state["lens_output"]["score"]
    assert f"{score.perplexity:,.2f}" == at.metric[0].value
    guesses = at.dataframe[0].value["top-5"].iloc[0]  # one chip per guess, token isolated
    assert len(guesses) == 5 and all(g.startswith("\u2066") and "\u2069 " in g for g in guesses)
    at.text_area(key="lens_text").set_value("")
    at.button(key="lens_run").click().run()
    assert [e.value for e in at.error] == ["Please enter some text to score."]
    assert at.session_state["lens_output"]["score"] is score  # the last result stays


def test_decoding_lab_compares_strategies(tiny_catalog):
    at = open_page("pages/generate.py")
    at.radio(key="gen_mode").set_value("compare").run()
    at.multiselect(key="gen_compare_strategies").set_value(["Greedy", "Top-k 10", "Beam search, 4 beams"])
    at.number_input(key="gen_max_new_tokens").set_value(6)
    at.button(key="gen_compare_run").click().run()
    assert not at.exception and not at.error
    results = at.session_state["gen_compare_output"]["results"]
    assert [r.name for r in results] == ["Greedy", "Top-k 10", "Beam search, 4 beams"]
    assert all(r.outputs and r.outputs[0].tokens for r in results)


def test_decoding_lab_beam_search_and_several_outputs(tiny_catalog):
    at = open_page("pages/generate.py")
    at.text_area(key="gen_prompt").set_value("the cat sat")
    at.radio(key="gen_strategy").set_value("beam").run()
    at.number_input(key="gen_max_new_tokens").set_value(6)
    at.number_input(key="gen_num_return_sequences").set_value(3)
    at.button(key="gen_run").click().run()
    assert not at.exception and not at.error
    output = at.session_state["gen_output"]
    assert len(output["outputs"]) == 3 and "Beam search" in output["strategy"]


def test_decoding_lab_temperature_and_top_p_zero(tiny_catalog):
    at = open_page("pages/generate.py")
    at.radio(key="gen_strategy").set_value("sample").run()
    at.slider(key="gen_temperature").set_value(0.0)
    at.number_input(key="gen_max_new_tokens").set_value(4)
    at.button(key="gen_run").click().run()
    assert not at.exception and not at.error
    assert "greedy" in all_text(at)
    at.slider(key="gen_temperature").set_value(0.8)
    at.slider(key="gen_top_p").set_value(0.0)
    at.button(key="gen_run").click().run()
    assert not at.error and "Top-p 0" in all_text(at)
    assert at.session_state["gen_output"]["outputs"][0].tokens  # coloured by default


def test_a_reply_without_visible_text_says_so(tiny_catalog, monkeypatch):
    import lmlab.chat

    monkeypatch.setattr(lmlab.chat, "chat_stream", lambda *a, **k: iter(["", "\n"]))
    at = open_chat()
    chat(at, "hello")
    assert at.session_state["chat_history"][-1]["content"].strip() == ""
    note = "ended this reply without writing any visible text"
    assert sum(note in c.value for c in at.caption) == 1  # said once, not a blank bubble
    at.run()  # drawn from the history on the next run
    assert sum(note in c.value for c in at.caption) == 1


def test_generated_text_shows_the_prompt_as_the_model_reads_it(tiny_catalog):
    at = open_page("pages/generate.py")
    at.text_area(key="gen_prompt").set_value("مرحبا 😀\u202eabc")
    at.number_input(key="gen_max_new_tokens").set_value(4)
    at.button(key="gen_run").click().run()
    assert not at.exception and not at.error
    assert at.session_state["gen_output"]["prompt"] == "مرحبا 😀abc"  # no mirroring override
    assert any(x.value == "مرحبا 😀abc" for x in at.text)
