"""A start that survives a crowd: concurrent first loads, failures, retries, the Hub probe."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from lmlab import hf, sources
from lmlab.errors import ModelUnavailable
from lmlab.loading import ModelStore, load_uncached
from lmlab.registry import get_spec
from local_servers import http_server, silent_server

SMOLLM = "HuggingFaceTB/SmolLM2-135M-Instruct"


@pytest.fixture()
def online(monkeypatch):
    """The Hub is not forced offline; each test points HF_ENDPOINT somewhere local."""
    for name in ("HF_HUB_OFFLINE", "LMLAB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    sources.forget_probe()
    yield monkeypatch
    sources.forget_probe()


def test_a_mirror_that_accepts_but_never_answers_counts_as_offline(online):
    with silent_server() as (url, accepted):
        online.setenv("HF_ENDPOINT", url)
        start = time.monotonic()
        results = []
        threads = [threading.Thread(target=lambda: results.append(sources.hub_reachable()))
                   for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - start
        assert results == [False] * 8
        assert len(accepted) == 1  # one probe, shared by every session
        assert elapsed < sources.PROBE_TIMEOUT_S + 1.5
        # A model with a Hub repo and an embedded copy resolves to the embedded copy.
        spec = get_spec(SMOLLM)
        assert sources.likely_source(spec) == ("offline" if sources.offline_available(spec)
                                               else None)


def test_a_hub_only_model_behind_a_silent_mirror_gets_one_sentence_fast(online):
    with silent_server() as (url, _):
        online.setenv("HF_ENDPOINT", url)
        start = time.monotonic()
        with pytest.raises(ModelUnavailable) as info:
            ModelStore(device="cpu").get("gpt2")
        assert time.monotonic() - start < sources.PROBE_TIMEOUT_S + 1.5
    message = str(info.value)
    assert "cannot be reached" in message and "\n" not in message and message.count(". ") == 0


def test_the_probe_wants_an_api_answer_not_a_login_page(online):
    with http_server(b"[]", "application/json") as (url, seen):
        online.setenv("HF_ENDPOINT", url)
        assert sources.hub_reachable() is True
        assert seen == [sources.PROBE_PATH]
    sources.forget_probe()
    portal = b"<html><form action=/login><input name=pw></form></html>"
    with http_server(portal, "text/html") as (url, _):
        online.setenv("HF_ENDPOINT", url)
        assert sources.hub_reachable() is False


def test_concurrent_first_loads_keep_tied_heads_and_log_no_load_report(tiny_catalog, caplog):
    """transformers switches weight tying off for every thread while it builds a model;
    loads running at once used to come out with a random, untied output head."""
    caplog.set_level(logging.WARNING)
    models, errors = [], []

    def load(model_id):
        try:
            for _ in range(3):
                models.append(load_uncached(get_spec(model_id), "generate", "cpu").model)
        except Exception as error:  # noqa: BLE001 - collected for the assertion
            errors.append(error)

    threads = [threading.Thread(target=load, args=(mid,))
               for mid in ("tiny/llama-chat", "tiny/gpt2") * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(models) == 18
    assert all(m.get_output_embeddings().weight is m.get_input_embeddings().weight
               for m in models)
    assert hf.tf().PreTrainedModel.tie_weights is hf.tf().original_tie_weights
    assert "LOAD REPORT" not in caplog.text


def test_a_failed_load_is_logged_paused_and_retried(tiny_catalog, caplog):
    calls = []

    def flaky_loader(spec, purpose, device):
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise OSError("disk hiccup")
        return load_uncached(spec, purpose, device)

    store = ModelStore(device="cpu", loader=flaky_loader)
    with caplog.at_level(logging.ERROR, logger="lmlab"):
        with pytest.raises(ModelUnavailable) as first:
            store.get("tiny/gpt2")
    assert "Tiny GPT-2" in str(first.value) and "OSError" in str(first.value)
    assert "Traceback" in caplog.text and "disk hiccup" in caplog.text
    # Within the pause: the same sentence, without another attempt.
    with pytest.raises(ModelUnavailable) as second:
        store.get("tiny/gpt2")
    assert "tries loading it again" in str(second.value) and len(calls) == 1
    assert store.failed("tiny/gpt2")
    store.retry("tiny/gpt2")  # the Retry action
    loaded = store.get("tiny/gpt2")
    assert loaded.spec.id == "tiny/gpt2" and len(calls) == 2 and not store.failed("tiny/gpt2")


def test_the_pause_doubles_and_then_lets_a_load_through(tiny_catalog):
    from lmlab.load_failures import Backoff

    backoff = Backoff(first_s=0.2, longest_s=1.0)
    key = ("tiny/gpt2", "generate")
    backoff.record(key, "It failed.")
    with pytest.raises(ModelUnavailable):
        backoff.check(key)
    time.sleep(0.25)
    backoff.check(key)  # the pause is over: the next request may try again
    backoff.record(key, "It failed.")
    assert backoff._failures[key].retry_at - time.monotonic() > 0.3  # 0.4 s now


def test_out_of_memory_trims_the_cache_and_then_says_so(tiny_catalog):
    attempts = []

    def hungry_loader(spec, purpose, device):
        attempts.append(spec.id)
        if spec.id == "tiny/bert":
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
        return load_uncached(spec, purpose, device)

    store = ModelStore(device="cpu", loader=hungry_loader)
    store.get("tiny/gpt2")
    with pytest.raises(ModelUnavailable) as info:
        store.get("tiny/bert")
    assert "not enough memory" in str(info.value) and "smaller model" in str(info.value)
    assert attempts.count("tiny/bert") == 2  # once, then again after unloading the others
    assert store.loaded_keys() == []  # the cache was trimmed
