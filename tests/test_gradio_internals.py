"""The two places LM Lab reaches into Gradio's internals (lmlab_gradio.internals), checked
on the installed Gradio: an upgrade that changes them fails here, by name."""

from __future__ import annotations

import gradio as gr
import pytest

from lmlab_gradio.internals import harden_inputs, join_queue


def test_join_queue_puts_chat_interface_events_in_the_group():
    def reply(message, history):
        return message

    with gr.Blocks() as demo:
        gr.ChatInterface(reply, api_name="chat")
    join_queue(demo, reply, "causal-lm", concurrency_limit=3)
    runs_reply = [f for f in demo.fns.values() if f.fn is reply or
                  getattr(f.fn, "__wrapped__", None) is reply]
    queued = [f for f in demo.fns.values() if f.concurrency_id == "causal-lm"]
    assert runs_reply and queued
    assert all(f.concurrency_limit == 3 for f in queued)
    assert {id(f) for f in queued} <= {id(f) for f in demo.fns.values() if f.queue}


def test_a_word_for_a_slider_gets_a_sentence_naming_it():
    with gr.Blocks():
        slider = gr.Slider(1, 1024, step=1, precision=0, label="Max new tokens")
        radio = gr.Radio(["greedy", "sample"], label="Decoding")
    harden_inputs(slider, radio)
    assert slider.preprocess(12) == 12  # good values pass as before
    for bad in ("many", True, 5000):
        with pytest.raises(gr.Error, match="Max new tokens must be a number between 1 and 1024"):
            slider.preprocess(bad)
    with pytest.raises(gr.Error, match="Decoding must come from: greedy; sample"):
        radio.preprocess("creative")
