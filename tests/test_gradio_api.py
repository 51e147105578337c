"""The real Gradio server on a free local port, called through gradio_client on tiny models.

Each endpoint's answer is checked against the core function it must call; bad
input gets one sentence back and the server keeps serving.
"""

from __future__ import annotations

import importlib
import sys
import threading
import time
import types
from pathlib import Path

import numpy as np
import pytest
from app_servers import app_error, free_port, served  # test_faults.py imports them from here
from tiny_models import registered_first

from lmlab import sources
from lmlab.attention import capture_attention
from lmlab.chat import reply_stream
from lmlab.word_arithmetic import evaluate
from lmlab.generation import GenerationParams, generate_text
from lmlab.loading import default_store
from lmlab.probability import score_text
from lmlab.seq2seq import Seq2SeqParams, SummaryOptions, summarize_text, translate_text

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def tiny_registered(tiny_specs):
    with registered_first(tiny_specs):
        yield tiny_specs


@pytest.fixture(scope="module")
def demo(tiny_registered):
    import gradio_app

    with served(gradio_app.build_demo()) as demo:
        yield demo


@pytest.fixture(scope="module")
def client(demo):
    from gradio_client import Client

    return Client(demo.local_url, verbose=False)


def test_named_endpoints(client):
    names = set(client.view_api(return_format="dict")["named_endpoints"])
    assert {"/chat", "/generate", "/compare_strategies", "/token_probabilities",
            "/next_token", "/attention", "/translate", "/summarize", "/analogy"} <= names


def test_generate_streams_the_core_continuation(client):
    job = client.submit("the cat sat on", "tiny/gpt2", 12, "greedy", api_name="/generate")
    outputs = list(job)
    final = job.result()
    expected = generate_text(default_store().get("tiny/gpt2"), "the cat sat on",
                             GenerationParams(max_new_tokens=12))
    assert final == expected
    assert len(outputs) >= 2, outputs  # streamed, not one block at the end
    assert all(final.startswith(partial) for partial in outputs)


def test_chat_streams_and_keeps_the_session_history(client):
    from gradio_client import Client

    session = Client(client.src, verbose=False)  # a fresh session: empty history
    args = ("tiny/llama-chat", "Be brief.", 10, 0)
    first = session.predict("hello world", *args, api_name="/chat")
    job = session.submit("the dog sat", *args, api_name="/chat")
    streamed = list(job)
    second = job.result()
    params = GenerationParams(max_new_tokens=10, do_sample=False, temperature=1.0, top_p=0.9,
                              seed=None)
    loaded = default_store().get("tiny/llama-chat")
    turns = [{"role": "user", "content": "hello world"}]
    assert first == "".join(reply_stream(loaded, "Be brief.", turns, params))
    turns += [{"role": "assistant", "content": first}, {"role": "user", "content": "the dog sat"}]
    assert second == "".join(reply_stream(loaded, "Be brief.", turns, params))
    assert len(streamed) >= 2 and all(second.startswith(p) for p in streamed)


def test_token_probabilities_match_the_core(client):
    text = "the cat sat on the mat <script>alert(1)</script>"
    numbers = client.predict(text, "tiny/gpt2", 3, api_name="/token_probabilities")
    score = score_text(default_store().get("tiny/gpt2", "inspect"), text, top_k=3)
    assert numbers["perplexity"] == pytest.approx(score.perplexity, rel=1e-6)
    assert [t["probability"] for t in numbers["tokens"]] == pytest.approx(
        [t.prob for t in score.tokens], rel=1e-6)
    assert all(len(t["top"]) == 3 for t in numbers["tokens"])


def test_token_probabilities_view_escapes_user_text(demo):
    from lmlab_gradio.probability_tab import token_probabilities_view

    text = "the cat sat on the mat <script>alert(1)</script>"
    summary, chips, figure, table, numbers = token_probabilities_view(text, "tiny/gpt2", 3)
    assert f"{numbers['perplexity']:,.2f}" in summary
    assert "<script>" not in chips and "&lt;" in chips  # user text is escaped
    assert len(table) == len(numbers["tokens"])
    assert figure.data  # a Plotly figure for the browser, numbers for the API


def test_next_token_is_a_distribution(client):
    numbers = client.predict("the cat sat on the", "tiny/gpt2", 1.0, 10, api_name="/next_token")
    probs = numbers["probabilities"]
    assert len(probs) == 10 and probs == sorted(probs, reverse=True)
    assert sum(probs) + numbers["rest"] == pytest.approx(1.0, abs=1e-5)


def test_compare_strategies_one_card_per_strategy(client):
    chosen = ["Greedy", "Beam search, 4 beams"]
    cards, numbers = client.predict("the cat sat", "tiny/gpt2", chosen, 5, 0,
                                    api_name="/compare_strategies")
    assert [n["strategy"] for n in numbers] == chosen
    assert all(n["error"] is None and len(n["texts"]) == 1 for n in numbers)
    assert cards.count("<h4") == 2


def test_translate_streams_and_shows_cross_attention(client):
    job = client.submit("the cat sat on the mat .", "en", "de", "tiny/marian-en-de", 1, 12,
                        api_name="/translate")
    streamed = [out[0] for out in job]
    text, note = job.result()
    loaded = default_store().get("tiny/marian-en-de", "inspect")
    expected = translate_text(loaded, "the cat sat on the mat .", "en", "de",
                              Seq2SeqParams(max_new_tokens=12))
    assert text == expected and len(streamed) >= 2
    assert "Tiny Marian" in note


def test_cross_attention_is_drawn_for_the_browser_after_the_text(demo):
    from lmlab_gradio.seq2seq_tab import cross_attention_view, translate

    *_, (_, _, answer) = list(translate("the cat sat on the mat .", "en", "de",
                                         "tiny/marian-en-de", 1, 12))
    figure = cross_attention_view(answer)
    assert figure.data and cross_attention_view(None) is None


def test_summarize_with_a_seq2seq_model(client):
    text, note = client.predict("the cat sat on the mat . the dog sat on the rug .", 10,
                                "tiny/t5", 1, api_name="/summarize")
    loaded = default_store().get("tiny/t5", "inspect")
    expected = summarize_text(loaded, "the cat sat on the mat . the dog sat on the rug .",
                              SummaryOptions(words=10))
    assert text == expected and "Tiny T5" in note


def test_analogy_on_the_real_glove_vectors(client):
    result = client.predict("king - man + woman", "glove-6B-50d", 5, api_name="/analogy")
    vectors = default_store().get("glove-6B-50d").model
    expected = evaluate(vectors, "king - man + woman", 5)
    answers = result["answers"]
    assert [a["word"] for a in answers] == [n.word for n in expected]
    assert [a["cosine"] for a in answers] == pytest.approx([n.cosine for n in expected])
    assert "queen" in [a["word"] for a in answers]


def test_attention_weights_and_bertviz_iframe(client):
    text = "the cat sat on the mat </script><b>x</b>"
    numbers = client.predict(text, "tiny/gpt2", 1, 2, 0, api_name="/attention")
    capture = capture_attention(default_store().get("tiny/gpt2", "inspect"), text)
    assert numbers["tokens"] == capture.tokens
    assert np.allclose(numbers["weights"], capture.attentions[1, 2], atol=1e-5)
    assert all(sum(row) == pytest.approx(1, abs=1e-3) for row in numbers["weights"])
    from lmlab_gradio.attention_tab import attention_view

    notes, heatmap, bertviz, _ = attention_view(text, "tiny/gpt2", 1, 2, 0, "head")
    assert heatmap.data
    # gr.HTML runs no scripts: the whole bertviz page sits escaped in an iframe's srcdoc.
    assert bertviz.startswith("<iframe srcdoc=") and "<script" not in bertviz
    assert "&lt;script" in bertviz and "sandbox=" in bertviz


BAD_CALLS = [
    ("/generate", ("",), "Please type a prompt first."),
    ("/generate", ("hi", "tiny/gpt2", "many"), "Max new tokens must be a number between 1 and 1,024"),
    ("/generate", ("hi", "tiny/gpt2", 8, "creative"), "Decoding must come from"),
    ("/generate", ("x" * 30_000, "tiny/gpt2"), "The prompt is 30,000 characters long"),
    ("/generate", ("hi", "no/such-model"), "is not in LM Lab's model catalog"),
    ("/chat", ("hello", "tiny/gpt2"), "is a base model"),
    ("/chat", ("x" * 30_000, "tiny/llama-chat"), "Your message is 30,000 characters long"),
    ("/chat", ("hello", "no/such-model"), "is not in LM Lab's model catalog"),
    ("/token_probabilities", (None, "tiny/gpt2"), "Please enter some text to score."),
    ("/token_probabilities", ("the cat", "tiny/gpt2", "five"), "must be a number between 1 and 20"),
    ("/next_token", ("the cat", "tiny/gpt2", [1]), "Temperature must be a number between 0 and 5"),
    ("/translate", ("hello", "en", "xx"), "LM Lab has no translation model for English → xx"),
    ("/translate", ("Der Hund sitzt auf dem Teppich und schläft.", "en", "de"), "looks like German"),
    ("/summarize", ("", 40), "Please type or paste some text to summarize first."),
    ("/summarize", ("x " * 20_000, 40), "the limit here is 30,000 characters"),
    ("/analogy", ("king - - man",), "Two signs in a row"),
    ("/analogy", ("king - man + zzqqxx",), "zzqqxx"),
    ("/analogy", ("king", "tiny/gpt2"), "Pick a word-vector model"),
    ("/attention", ("the cat", "tiny/gpt2", 7), "has layers 0–1 and heads 0–3"),
    ("/attention", ("the cat", "tiny/t5"), "is a seq2seq model"),
    ("/compare_strategies", ("the cat", "tiny/gpt2", ["Magic"]), "Strategies must come from"),
]


@pytest.mark.parametrize("api_name,args,sentence", BAD_CALLS, ids=[f"{a}-{i}" for i, (a, _, _)
                                                                   in enumerate(BAD_CALLS)])
def test_bad_input_gets_one_sentence(client, api_name, args, sentence):
    message = app_error(client, *args, api_name=api_name)
    assert sentence in message
    assert "Traceback" not in message and message.count("\n") == 0


def test_server_keeps_serving_after_errors(client):
    for api_name, args, _ in BAD_CALLS[:4]:
        app_error(client, *args, api_name=api_name)
    assert client.predict("the cat", "tiny/gpt2", 4, api_name="/generate")


def test_concurrent_clients_wait_in_line(demo, client):
    """Model events share one queue per kind of model: all finish, none fail as busy."""
    from lmlab_gradio.common import LM_QUEUE

    model_events = [fn for fn in demo.fns.values()
                    if fn.api_name in ("chat", "generate", "token_probabilities", "next_token")]
    assert model_events and {fn.concurrency_id for fn in model_events} == {LM_QUEUE}
    jobs = [client.submit(f"the cat {i}", "tiny/gpt2", 16, api_name="/generate") for i in range(4)]
    results = [job.result(timeout=120) for job in jobs]
    assert all(isinstance(r, str) for r in results)


def test_hub_offline_is_honoured_through_the_api(client):
    # conftest sets HF_HUB_OFFLINE=1: a Hub-only model is refused with a sentence, at once.
    start = time.monotonic()
    message = app_error(client, "hi", "gpt2", api_name="/generate")
    assert "cannot be reached" in message
    assert time.monotonic() - start < 10


def test_hf_endpoint_mirror_is_the_one_probed(client, monkeypatch):
    # A mirror on a closed local port: the probe goes there (not huggingface.co) and fails fast.
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{free_port()}")
    sources.forget_probe()
    try:
        message = app_error(client, "hi", "gpt2", api_name="/generate")
        assert "cannot be reached" in message
        assert list(sources._probe_cache) == [sources.hub_endpoint()]
    finally:
        sources.forget_probe()


def test_gradio_path_loads_models_only_through_the_core():
    files = [ROOT / "gradio_app.py", *(ROOT / "lmlab_gradio").glob("*.py")]
    for path in files:
        text = path.read_text(encoding="utf-8")
        for bypass in ("from_pretrained", "huggingface_hub", "snapshot_download", "hf_hub_download"):
            assert bypass not in text, f"{path.name} uses {bypass}"


def test_zero_gpu_wraps_handlers_only_when_spaces_exists(monkeypatch):
    import lmlab_gradio.common as common

    assert common.spaces is None and common.gpu(len) is len  # nothing changes here
    calls = []
    fake = types.ModuleType("spaces")
    fake.GPU = lambda duration: (lambda fn: calls.append((fn, duration)) or fn)
    monkeypatch.setitem(sys.modules, "spaces", fake)
    try:
        reloaded = importlib.reload(common)
        assert reloaded.ZERO_GPU

        def work(prompt, max_new_tokens=64):
            return prompt

        reloaded.handler(work)
        reloaded.handler(seconds=reloaded.seconds_for_tokens(0.5))(work)
        (quick_fn, quick), (long_fn, per_token) = calls
        assert quick_fn is work and long_fn is work
        # ZeroGPU calls `duration` with the handler's own arguments.
        assert quick("hi", 1000) == reloaded.QUICK_SECONDS
        assert per_token("hi") == reloaded.QUICK_SECONDS + 32  # the default 64 tokens
        assert per_token("hi", max_new_tokens=100) == reloaded.QUICK_SECONDS + 50
        assert per_token("hi", 10_000) == reloaded.GPU_SECONDS  # capped
        assert per_token("hi", "many") == reloaded.QUICK_SECONDS  # the handler says why
    finally:
        monkeypatch.delitem(sys.modules, "spaces")
        importlib.reload(common)
    assert common.spaces is None
