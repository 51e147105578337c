"""The Gradio /classify and /answer endpoints on a real local server, on tiny models."""

from __future__ import annotations

import pytest
from app_servers import app_error, served
from tiny_models import registered_first

from lmlab import classify, qa
from lmlab.loading import default_store


@pytest.fixture(scope="module")
def client(tiny_specs):
    from gradio_client import Client

    import gradio_app

    with registered_first(tiny_specs), served(gradio_app.build_demo()) as demo:
        yield Client(demo.local_url, verbose=False)


def test_classify_endpoint_equals_the_core(client):
    out = client.predict("the cat sat on the mat .", "yes, no", "tiny/gpt2", api_name="/classify")
    expected = classify.zero_shot(default_store().get("tiny/gpt2"), "the cat sat on the mat .",
                                  "yes, no")
    assert out["labels"] == ["yes", "no"]
    assert out["probabilities"] == pytest.approx(expected.probs, abs=1e-6)
    assert sum(out["probabilities"]) == pytest.approx(1.0)
    assert out["prompt"] == expected.prompt
    assert "at least two labels" in app_error(client, "a text", "yes", "tiny/gpt2",
                                              api_name="/classify")


def test_answer_endpoint_gives_saliency_and_one_sentence_for_bad_input(client):
    context = "the king and a queen ruled the land ."
    out = client.predict("who ruled ?", context, "tiny/llama-chat", api_name="/answer")
    assert "".join(out["tokens"]) == context
    assert sum(out["saliency"]) == pytest.approx(1.0)
    expected = qa.generate_answer(default_store().get("tiny/llama-chat", "inspect"),
                                  "who ruled ?", context)
    assert out["answer"] == expected.answer
    assert "paste a context" in app_error(client, "who?", "", "tiny/llama-chat",
                                          api_name="/answer")
    assert "longer than the context" in app_error(
        client, "who ruled the land in the old story ?", "the king ruled .", "tiny/llama-chat",
        api_name="/answer")
