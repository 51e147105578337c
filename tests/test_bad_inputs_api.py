"""Every bad input on every Gradio endpoint, through gradio_client against a real server.

Each call is answered (sensible output) or refused with one sentence about the
input: never the generic sentence, never a traceback, never markup from the input
(Gradio shows an error's message as HTML). Prints a table inputs × endpoints.
"""

from __future__ import annotations

import re
import time

from bad_inputs import (MODEL_IDS, NUMBERS, TEXTS, has_raw_markup, has_traceback, is_generic,
                        is_one_sentence, print_table)
from test_gradio_api import client, demo, tiny_registered  # noqa: F401 - the shared server

GPT2, LLAMA, GLOVE = "tiny/gpt2", "tiny/llama-chat", "glove-6B-50d"

# endpoint -> (arguments for a text and a model id, where the model id sits, number slots)
ENDPOINTS = {
    "/chat": (lambda text, model: (text, model, "Be brief.", 2, 0), 1, LLAMA,
              {"max_new_tokens": 3, "temperature": 4}),
    "/chat system": (lambda text, model: ("hello", model, text, 2, 0), 1, LLAMA, {}),
    "/generate": (lambda text, model: (text, model, 2, "greedy", 1.0, 50, 0.9, 0), 1, GPT2,
                  {"max_new_tokens": 2, "temperature": 4, "top_k": 5, "top_p": 6}),
    "/compare_strategies": (lambda text, model: (text, model, ["Greedy"], 2, 0), 1, GPT2,
                            {"max_new_tokens": 3}),
    "/token_probabilities": (lambda text, model: (text, model, 3), 1, GPT2, {"top_k": 2}),
    "/next_token": (lambda text, model: (text, model, 1.0, 5), 1, GPT2,
                    {"temperature": 2, "top_k": 3}),
    "/attention": (lambda text, model: (text, model, 0, 0, 0), 1, GPT2, {}),
    "/translate": (lambda text, model: (text, "en", "de", model, 1, 4), 3, "tiny/marian-en-de",
                   {"max_new_tokens": 5}),
    "/summarize": (lambda text, model: (text, 8, model, 1), 2, "tiny/t5", {}),
    "/analogy": (lambda text, model: (text, model, 5), 1, GLOVE, {"top_k": 2}),
    "/classify": (lambda text, model: (text, "yes, no", model), 2, GPT2, {}),
    "/answer": (lambda text, model: (text, "the cat sat on the mat .", model), 2, GPT2, {}),
}


def _api_name(endpoint: str) -> str:
    return endpoint.split(" ")[0]


def _result(job) -> tuple[str | None, object]:
    """(error message or None, result) of a submitted call."""
    from gradio_client.exceptions import AppError

    try:
        return None, job.result(timeout=300)
    except AppError as error:
        return str(error), None
    except Exception as error:  # noqa: BLE001 - a transport failure counts as a bad answer
        return f"Traceback (most recent call last): {type(error).__name__}: {error}", None


def _outcome(client, endpoint: str, args: tuple) -> tuple[str | None, object]:  # noqa: F811
    return _result(client.submit(*args, api_name=_api_name(endpoint)))


def _score(message: str | None) -> tuple[int, int, int]:
    if message is None:
        return (0, 0, 0)
    return (int(is_generic(message) or not is_one_sentence(message)),
            int(has_traceback(message)), int(has_raw_markup(message)))


def test_every_bad_input_on_every_endpoint(client):  # noqa: F811
    names = set(client.view_api(return_format="dict")["named_endpoints"])
    endpoints = {e: spec for e, spec in ENDPOINTS.items() if _api_name(e) in names}
    assert len(endpoints) >= 10, sorted(names)
    calls = {}  # (input name, endpoint) -> arguments
    for name, text in TEXTS:
        # gradio_client cannot encode a lone surrogate into its request (UnicodeEncodeError
        # in the client, before anything is sent); it goes as the U+FFFD a browser's does.
        text = re.sub("[\ud800-\udfff]", "\ufffd", text)
        for endpoint, (build, _, model, _) in endpoints.items():
            calls[(name, endpoint)] = build(text, model)
    for name, model_id in MODEL_IDS:
        for endpoint, (build, _, _, _) in endpoints.items():
            calls[(name, endpoint)] = build("the cat sat on the mat", model_id)
    for parameter, value in NUMBERS:
        for endpoint, (build, _, model, slots) in endpoints.items():
            if parameter in slots:
                args = list(build("the cat sat on the mat", model))
                args[slots[parameter]] = value
                calls[(f"{parameter} {value:g}", endpoint)] = tuple(args)
    start = time.monotonic()
    # One call at a time: gradio_client's concurrent submits time out on a busy machine.
    messages = {key: _outcome(client, key[1], args)[0] for key, args in calls.items()}
    rows: dict[str, dict[str, tuple[int, int, int]]] = {}
    for (name, endpoint), message in messages.items():
        rows.setdefault(name, {})[endpoint] = _score(message)
    elapsed = time.monotonic() - start
    print_table(f"Gradio API ({elapsed:.0f} s)", rows)
    bad = {key: message for key, message in messages.items() if any(_score(message))}
    assert not bad, bad
    refused = [(name, e) for name, model_id in MODEL_IDS if model_id for e in endpoints
               if messages[(name, e)] is None]
    assert not refused, refused  # an id outside the catalog is refused with a sentence
    # The sentences are about the input: an empty text asks for one, a long one
    # gives its limit, an unknown model id is named as not in the catalog.
    assert "type a prompt" in (messages[("empty", "/generate")] or "").lower()
    assert "limit" in (messages[("1,000,000 characters", "/generate")] or "")
    assert "catalog" in (messages[("unknown model id", "/generate")] or "")
    assert "&lt;img" in (messages[("HTML as model id", "/generate")] or "")


def test_temperature_zero_means_greedy_on_generate_as_in_chat(client):  # noqa: F811
    sampled = client.predict("the cat sat on", GPT2, 4, "sample", 0, 50, 0.9, 0,
                             api_name="/generate")
    greedy = client.predict("the cat sat on", GPT2, 4, "greedy", 1.0, 50, 0.9, 0,
                            api_name="/generate")
    assert sampled == greedy
    assert client.predict("hello", LLAMA, "Be brief.", 3, 0, api_name="/chat")
