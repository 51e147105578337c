"""The rules decided once in the core and used by both front ends."""

from __future__ import annotations

import json

import pytest

from lmlab import inputs, registry
from lmlab.chat import chat_params
from lmlab.errors import InputError


class CountingTokenizer:
    """Counts how many characters it was asked to tokenize."""

    def __init__(self):
        self.chars = 0

    def __call__(self, text):
        self.chars += len(text)
        return {"input_ids": list(range(len(text.split())))}


class Loaded:
    def __init__(self, context_length=64):
        self.tokenizer = CountingTokenizer()
        self.context_length = context_length


def test_a_huge_paste_is_refused_before_any_tokenizer_runs():
    loaded = Loaded()
    with pytest.raises(InputError, match="1,000,000 characters"):
        inputs.encode_text(loaded, "word " * 200_000, max_tokens=64)
    assert loaded.tokenizer.chars == 0


def test_token_limit_is_the_smaller_of_the_view_and_the_context():
    loaded = Loaded(context_length=5)
    with pytest.raises(InputError, match="limit here is 5 tokens"):
        inputs.encode_text(loaded, "a b c d e f", max_tokens=64)
    assert inputs.encode_text(loaded, "a b c", max_tokens=64).shape == (1, 3)


@pytest.mark.parametrize("text", ["", "   \n\t", "\u200b\u200d\ufeff", None, "\x00\x01\x1b[31m"])
def test_nothing_visible_is_empty(text):
    with pytest.raises(InputError, match="Please type"):
        inputs.check_text(text, what="The prompt", max_chars=100, empty="Please type a prompt.")


def test_invisible_controls_go_and_visible_text_stays():
    cleaned = inputs.check_text("a\x00b\x1b[31mc\u202ed\ud800 مرحبا 👋🏽\u0301\nnext",
                                max_chars=100)
    assert cleaned == "abcd\ufffd مرحبا 👋🏽\u0301\nnext"
    cleaned.encode("utf-8")  # no lone surrogate left: every encoder accepts it


def test_not_text_is_one_sentence():
    with pytest.raises(InputError, match="The message must be text"):
        inputs.check_text(42, what="The message", max_chars=10)


@pytest.mark.parametrize("value, fragment", [
    (-1, "between 1 and 1,024; got -1"), (10**9, "got 1,000,000,000"), (2.5, "whole number"),
    ("abc", "must be a number"), (float("nan"), "between 1 and 1,024"), (None, "must be a number"),
    (True, "must be a number"),
])
def test_numbers_out_of_range_name_the_range(value, fragment):
    with pytest.raises(InputError) as info:
        inputs.check_number(value, name="Max new tokens", low=1, high=1024, integer=True)
    assert fragment in str(info.value) and str(info.value).startswith("Max new tokens")


def test_numbers_in_range_come_back_typed():
    assert inputs.check_number("12", name="k", low=1, high=50, integer=True) == 12
    assert inputs.check_number(0.5, name="t", low=0, high=2) == 0.5


def test_both_front_ends_check_text_the_same_way():
    from lmlab_gradio.common import as_number, as_text

    assert as_text("x\ud800\x00y", "The text") == inputs.plain_text("x\ud800\x00y") == "x\ufffdy"
    for value in (-5, 2.0, "7"):
        try:
            expected = inputs.check_number(value, name="Top-k", low=0, high=100, integer=True)
        except InputError as error:
            with pytest.raises(InputError, match=str(error).replace("(", r"\(")):
                as_number(value, "Top-k", 0, 100, integer=True)
        else:
            assert as_number(value, "Top-k", 0, 100, integer=True) == expected


def test_chat_settings_are_the_same_for_the_streamlit_page_and_the_gradio_tab(tiny_catalog,
                                                                              monkeypatch):
    """Both front ends hand the model the settings lmlab.chat.chat_params decides."""
    import lmlab.chat
    import lmlab_gradio.chat_tab as chat_tab
    from tests.apptest_helpers import open_page

    sent = {}

    def recording_stream(name):
        def stream(loaded, *args, **kwargs):
            sent[name] = args[-1] if name == "gradio" else args[1]
            yield "ok"
        return stream

    monkeypatch.setattr(chat_tab, "reply_stream", recording_stream("gradio"))
    # Settings that fit the tiny model's 128-token context.
    list(chat_tab.chat("hello", [], "tiny/llama-chat", "Be kind.", max_new_tokens=16,
                       temperature=0.3))

    monkeypatch.setattr(lmlab.chat, "chat_stream", recording_stream("streamlit"))
    at = open_page("pages/chat.py")
    at.text_area(key="chat_system_prompt").set_value("Be kind.")
    at.slider(key="chat_max_new_tokens").set_value(16)
    at.slider(key="chat_temperature").set_value(0.3)
    at.chat_input(key="chat_input").set_value("hello").run()
    assert not at.exception and not at.error, (at.exception, at.error)
    expected, _ = chat_params(16, 0.3)
    assert sent["gradio"] == sent["streamlit"] == expected


def test_the_catalog_file_is_read_once_and_again_when_it_changes(tmp_path, monkeypatch):
    path = tmp_path / "catalog.json"
    entry = {"id": "local/a", "kind": "causal-lm", "tasks": ["generate"], "path": str(tmp_path)}
    path.write_text(json.dumps([entry]))
    monkeypatch.setenv("LMLAB_CATALOG_FILE", str(path))
    reads = []
    real_read = registry._read_catalog_file
    monkeypatch.setattr(registry, "_read_catalog_file", lambda p: reads.append(p) or real_read(p))
    for _ in range(3):
        assert registry.get_spec("local/a").id == "local/a"
    assert len(reads) == 1
    path.write_text(json.dumps([dict(entry, id="local/b")]))
    assert registry.get_spec("local/b").id == "local/b"
    assert len(reads) == 2


def test_pickers_in_both_front_ends_label_models_from_one_rule(monkeypatch):
    from lmlab import sources
    from lmlab_gradio.common import model_choices

    monkeypatch.setattr(sources, "hub_reachable", lambda: False)
    labels = dict((model_id, label) for label, model_id in model_choices("generate"))
    for spec in registry.models_for("generate"):
        assert labels[spec.id].endswith(sources.where_label(spec))
        assert sources.where_label(spec) in ("offline", "needs internet")
