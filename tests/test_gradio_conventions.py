"""The Gradio API as its callers (gradio_client, MCP assistants) expect it: every public
endpoint has named, typed parameters and outputs, described from its docstring, whole
numbers typed as integers, and answers that stay small for a 64-token request."""

from __future__ import annotations

import json

import pytest
from gradio.utils import get_function_description

from tests.test_gradio_api import client, demo, tiny_registered  # noqa: F401 (fixtures)

WHOLE_NUMBERS = {"max_new_tokens", "top_k", "seed", "layer", "head", "continue_tokens", "k",
                 "num_beams", "words"}
ASSISTANT_ENDPOINTS = {"/next_token", "/token_probabilities", "/analogy", "/attention"}
LIMIT_BYTES = 100_000


@pytest.fixture(scope="module")
def api_info(demo):  # noqa: F811
    return demo.get_api_info()["named_endpoints"]


def handler_of(demo, api_name: str):  # noqa: F811
    (fn,) = [f.fn for f in demo.fns.values() if f.api_name == api_name.lstrip("/")
             and f.api_visibility == "public"]
    return fn


def unnamed(label, placeholder: str) -> bool:
    """Gradio's stand-in name for an unlabelled component (a gr.I18n label is a name)."""
    return isinstance(label, str) and label.startswith(placeholder)


def test_every_public_endpoint_has_named_typed_parameters(api_info):
    assert ASSISTANT_ENDPOINTS <= set(api_info)
    for name, endpoint in api_info.items():
        for parameter in endpoint["parameters"]:
            where = f"{name} {parameter['parameter_name']}"
            assert parameter["parameter_name"], where
            assert not unnamed(parameter["label"], "parameter_"), where
            assert parameter["type"].get("type"), where  # string, number, integer, array
            if parameter["parameter_name"] in WHOLE_NUMBERS:
                assert parameter["type"]["type"] == "integer", where


def test_every_output_is_named_and_typed(api_info):
    for name, endpoint in api_info.items():
        assert endpoint["returns"], name
        for output in endpoint["returns"]:
            assert not unnamed(output["label"], "value_"), (name, output)
            assert output["python_type"]["type"] not in ("", "Any"), (name, output)


def test_parameters_are_described_from_docstrings(demo, api_info):  # noqa: F811
    for name, endpoint in api_info.items():
        if name == "/text_source_line":
            continue
        assert endpoint["description"], name
        _, described, _ = get_function_description(handler_of(demo, name))
        for parameter in endpoint["parameters"]:
            assert described.get(parameter["parameter_name"]), (name, parameter["parameter_name"])


def test_figures_stay_in_the_browser_numbers_go_to_the_api(demo, api_info):  # noqa: F811
    for name in ASSISTANT_ENDPOINTS:
        (output,) = api_info[name]["returns"]
        assert output["type"]["type"] == "object", name  # a JSON object of numbers
    private = [f for f in demo.fns.values() if f.api_visibility == "private"]
    plots = {type(o).__name__ for f in private for o in f.outputs}
    assert "Plot" in plots  # the Plotly figures: in the UI events only


def sixty_four_token_text() -> str:
    from lmlab.loading import default_store

    tokenizer = default_store().get("tiny/gpt2").tokenizer
    words = ("the cat sat on the mat and the dog sat on the rug " * 20).split()
    for n in range(1, len(words)):  # the shortest text of at least 64 tokens
        text = " ".join(words[:n])
        if len(tokenizer(text)["input_ids"]) >= 64:
            return text
    raise AssertionError("no 64-token text")


def test_no_endpoint_answers_more_than_100_kb_for_64_tokens(client):  # noqa: F811
    text = sixty_four_token_text()
    calls = {
        "/attention": (text, "tiny/gpt2", 1, 2, 0),
        "/token_probabilities": (text, "tiny/gpt2", 20),
        "/next_token": (text, "tiny/gpt2", 1.0, 100),
        "/generate": (text, "tiny/gpt2", 64),
        "/compare_strategies": (text, "tiny/gpt2", ["Greedy", "Top-p 0.9"], 64, 0),
        "/translate": (text, "en", "de", "tiny/marian-en-de", 1, 64),
        "/summarize": (text, 40, "tiny/t5", 1),
        "/analogy": ("king - man + woman", "glove-6B-50d", 50),
    }
    sizes = {name: len(json.dumps(client.predict(*args, api_name=name))) for name, args in
             calls.items()}
    print(sizes)
    assert all(size < LIMIT_BYTES for size in sizes.values()), sizes
    assert sizes["/attention"] > 64 * 64 * 2  # the whole head is there, not a sample


def test_mcp_follows_the_extra(monkeypatch):
    import gradio_app

    monkeypatch.delenv("GRADIO_MCP_SERVER", raising=False)
    assert gradio_app.launch_options()["mcp_server"] is gradio_app.mcp_available()
    monkeypatch.setenv("GRADIO_MCP_SERVER", "False")
    assert "mcp_server" not in gradio_app.launch_options()  # Gradio reads its own setting
