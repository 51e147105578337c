"""What students hit in the browser, fixed: readable axes, bertviz that fits, the chat prompt
shown, one fallback notice, a reference panel that stays open."""

from __future__ import annotations

import math

import pytest

from apptest_helpers import open_page
from lmlab.attention import capture_attention
from lmlab.chat import build_chat_prompt, small_model_note, what_the_model_reads
from lmlab.probability import prompt_next_logits, top_next_tokens
from lmlab.training import LogPoint
from lmlab.viz.bertviz_html import FIT_WIDTH_JS, ROW_PADDING, build_view
from lmlab.viz.labels import log_ticks, percent
from lmlab.viz.tokens import next_token_bar
from lmlab.viz.training import curves_figure, finetune_figure


def test_percentages_keep_three_significant_digits():
    assert [percent(p) for p in (0.5, 0.0123, 0.000123, 0.0)] == ["50%", "1.23%", "0.0123%", "0%"]


def test_next_token_axis_at_temperature_three_tells_the_bars_apart(store):
    loaded = store.get("tiny/llama-chat", "inspect")
    view = top_next_tokens(loaded, prompt_next_logits(loaded, "the cat sat on"), 3.0, 10)
    fig = next_token_bar(view)
    assert fig.layout.xaxis.tickformat == ".2~p"  # not ".0%", which wrote "0% 0% 0% 1%"
    assert ":.3~p" in fig.data[0].hovertemplate  # not "0.00%"
    texts = list(fig.data[0].text)
    assert all(t != "0%" and t != "0.0%" for t in texts)
    for text, p in zip(texts, view.probs):  # the label says the probability, to 3 digits
        assert float(text.rstrip("%")) == pytest.approx(p * 100, rel=5e-3)


def test_log_ticks_read_as_plain_numbers():
    values, texts = log_ticks(3.2, 1800)
    assert values == sorted(values) and len(values) >= 5
    assert all(f"{v:.0e}"[0] in "125" for v in values)
    assert [float(t.replace(",", "")) for t in texts] == values


def test_training_log_axes_use_those_ticks():
    history = [LogPoint(step=s, train_loss=math.log(900 / (s + 1)),
                        val_loss=math.log(1000 / (s + 1)), val_perplexity=1000 / (s + 1),
                        seconds=s / 10) for s in range(0, 300, 30)]
    fig = curves_figure([("LSTM", history)], "perplexity", baseline_perplexity=60)
    axis = fig.layout.yaxis
    assert axis.type == "log" and axis.tickmode == "array"
    assert [float(t.replace(",", "")) for t in axis.ticktext] == list(axis.tickvals)
    ft = finetune_figure({"before": {"A": 40.0, "B": 300.0}, "after": {"A": 35.0, "B": 20.0}})
    assert ft.layout.yaxis.tickmode == "array" and 100 in ft.layout.yaxis.tickvals


@pytest.mark.parametrize("view", ["head", "model"])
def test_bertviz_pages_shrink_to_the_frame_and_leave_room_for_the_last_row(store, view):
    loaded = store.get("tiny/llama-chat", "inspect")
    capture = capture_attention(loaded, "the cat sat on the mat because it was tired", 0)
    page = build_view(capture, view)
    assert FIT_WIDTH_JS.strip()[:40] in page.html  # fixed-width SVGs get a viewBox
    rows = capture.n_tokens * 22.5 if view == "head" else capture.n_tokens * 18
    assert page.height >= rows + 30 + ROW_PADDING


def test_chat_shows_what_the_model_reads(tiny_catalog, store):
    at = open_page("pages/chat.py")
    at.text_area(key="chat_system_prompt").set_value("You are a pirate, say Arr.")
    at.chat_input(key="chat_input").set_value("hello there").run()
    assert not at.exception
    loaded = store.get("tiny/llama-chat")
    history = at.session_state["chat_history"]
    shown = [c.value for c in at.code]
    assert shown, "no 'What the model reads' view"
    expected = what_the_model_reads(loaded, "You are a pirate, say Arr.", history)
    assert expected.strip() in [s.strip() for s in shown]
    assert "You are a pirate, say Arr." in expected and "hello there" in expected
    # It is the very text the model continued for the reply (the prompt's ids, decoded):
    prompt = build_chat_prompt(loaded, "You are a pirate, say Arr.", history[:1], 64)
    assert loaded.tokenizer.decode(prompt.input_ids[0]) in what_the_model_reads(
        loaded, "You are a pirate, say Arr.", history[:1])
    assert small_model_note(loaded) and any("small model" in c.value for c in at.caption)


def test_reference_panel_stays_open_after_a_paste(tiny_fallback):
    at = open_page("pages/summarize.py")
    at.text_area(key="sum_text").set_value("the cat sat on the mat . the dog sat on the rug .")
    at.slider(key="sum_words").set_value(10)
    at.button(key="sum_run").click().run()
    assert not at.exception
    panel = [e for e in at.expander if "ROUGE" in e.label]
    assert panel and not panel[0].proto.expanded
    at.text_area(key="sum_reference").set_value("a cat and a dog sat.").run()
    panel = [e for e in at.expander if "ROUGE" in e.label]
    assert panel[0].proto.expanded  # it no longer folds shut after the paste
