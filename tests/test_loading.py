import threading

import pytest
import torch

from lmlab import device as devmod
from lmlab import sources
from lmlab.errors import ModelRefused, ModelUnavailable
from lmlab.loading import ModelStore, load_uncached
from lmlab.registry import get_spec


def test_device_auto_choice_and_override(monkeypatch):
    monkeypatch.delenv("LMLAB_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert devmod.choose_device() == "cpu"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert devmod.choose_device() == "cuda"
    monkeypatch.setenv("LMLAB_DEVICE", "cpu")
    assert devmod.choose_device() == "cpu"


def test_dtype_per_device_and_purpose(monkeypatch):
    monkeypatch.delenv("LMLAB_DTYPE", raising=False)
    assert devmod.choose_dtype("cpu") == torch.bfloat16
    assert devmod.choose_dtype("cpu", "inspect") == torch.float32
    assert devmod.choose_dtype("mps") == torch.float16
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda: False)
    assert devmod.choose_dtype("cuda") == torch.float16
    monkeypatch.setenv("LMLAB_DTYPE", "float32")
    assert devmod.choose_dtype("cpu") == torch.float32
    assert devmod.choose_dtype("cuda", "inspect") == torch.float32


def test_offline_is_detected_at_once(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    called = []
    monkeypatch.setattr(sources, "_http_answers", lambda *a: called.append(a) or True)
    sources.forget_probe()
    assert sources.hub_reachable() is False
    assert called == []


def test_hf_endpoint_mirror_is_probed(monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("LMLAB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://mirror.example:8080/")
    seen = []
    monkeypatch.setattr(sources, "_http_answers", lambda url, t: seen.append((url, t)) or False)
    sources.forget_probe()
    assert sources.hub_reachable() is False
    assert seen == [("http://mirror.example:8080" + sources.PROBE_PATH, sources.PROBE_TIMEOUT_S)]
    sources.hub_reachable()
    assert len(seen) == 1  # remembered, not probed again
    sources.forget_probe()


def test_hub_first_when_reachable_else_offline(tiny_specs, monkeypatch):
    from dataclasses import replace

    spec = replace(tiny_specs["tiny/gpt2"], hub_repo="someone/tiny")
    monkeypatch.setattr(sources, "hub_reachable", lambda: True)
    assert sources.resolve(spec) == ("hub", "someone/tiny")
    monkeypatch.setattr(sources, "hub_reachable", lambda: False)
    where, path = sources.resolve(spec)
    assert where == "offline" and path == spec.offline.path


def test_hub_only_model_offline_gets_a_clear_sentence():
    with pytest.raises(ModelUnavailable) as info:
        ModelStore(device="cpu").get("gpt2")
    assert "Hub" in str(info.value) and "\n" not in str(info.value)


def test_refused_id_through_the_store():
    with pytest.raises(ModelRefused):
        ModelStore(device="cpu").get("../../secret")


def test_load_tiny_model_dtype_and_safety(store):
    gen = store.get("tiny/gpt2", "generate")
    exact = store.get("tiny/gpt2", "inspect")
    assert gen.dtype == torch.bfloat16 and next(gen.model.parameters()).dtype == torch.bfloat16
    assert exact.dtype == torch.float32 and next(exact.model.parameters()).dtype == torch.float32
    assert gen.model is not exact.model
    assert gen.source == "offline" and gen.nbytes > 0
    assert gen.model.config._attn_implementation == "sdpa"  # generation never pays for eager
    assert store.get("tiny/gpt2") is gen  # one copy per process


def test_eager_attention_switches_and_restores(store):
    loaded = store.get("tiny/llama-chat", "inspect")
    ids = loaded.tokenizer("the cat sat", return_tensors="pt")["input_ids"]
    with loaded.eager_attention() as model:
        out = model(ids, output_attentions=True)
        assert model.config._attn_implementation == "eager"
    assert len(out.attentions) == 2 and out.attentions[0].shape[-1] == ids.shape[1]
    assert torch.allclose(out.attentions[0].sum(-1), torch.ones(1), atol=1e-5)
    assert loaded.model.config._attn_implementation == "sdpa"


def test_lru_eviction_under_budget(tiny_catalog):
    sizes = {}
    for model_id in ("tiny/gpt2", "tiny/llama-chat", "tiny/bert"):
        sizes[model_id] = load_uncached(get_spec(model_id), "generate", "cpu").nbytes
    budget = sizes["tiny/gpt2"] + max(sizes["tiny/llama-chat"], sizes["tiny/bert"]) + 1
    assert sizes["tiny/gpt2"] + sizes["tiny/llama-chat"] + sizes["tiny/bert"] > budget
    store = ModelStore(budget_bytes=budget, device="cpu")
    store.get("tiny/gpt2")
    store.get("tiny/llama-chat")
    store.get("tiny/gpt2")  # touch: llama is now the least recently used
    store.get("tiny/bert")
    keys = [k[0] for k in store.loaded_keys()]
    assert "tiny/llama-chat" not in keys and "tiny/gpt2" in keys and "tiny/bert" in keys
    assert store.evicted == [("tiny/llama-chat", "generate")]
    assert store.used_bytes() <= budget


def test_concurrent_requests_load_once(tiny_catalog):
    calls = []

    def counting_loader(spec, purpose, device):
        calls.append(spec.id)
        return load_uncached(spec, purpose, device)

    store = ModelStore(device="cpu", loader=counting_loader)
    results = []
    threads = [threading.Thread(target=lambda: results.append(store.get("tiny/gpt2")))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == ["tiny/gpt2"] and len({id(r) for r in results}) == 1


def test_a_model_that_fails_to_load_gives_a_sentence(tiny_catalog, tmp_path):
    from lmlab import registry
    from lmlab.registry import OfflineSource, with_offline_path

    (tmp_path / "config.json").write_text("{not json")
    registry.register(with_offline_path(get_spec("tiny/gpt2"), tmp_path).__class__(
        **{**get_spec("tiny/gpt2").__dict__, "id": "tiny/broken", "name": "Broken",
           "offline": OfflineSource("local", path=str(tmp_path))}))
    try:
        with pytest.raises(ModelUnavailable) as info:
            ModelStore(device="cpu").get("tiny/broken")
        assert "Broken" in str(info.value)
    finally:
        registry.unregister("tiny/broken")


def test_glove_loads_from_its_package():
    if not sources.offline_available(get_spec("glove-6B-50d")):
        pytest.skip("offline GloVe package not installed")
    vectors = ModelStore(device="cpu").get("glove-6B-50d").model
    assert len(vectors.words) == 400_000 and vectors.dim == 50
    import numpy as np

    assert np.allclose(np.linalg.norm(vectors.unit[:100], axis=1), 1, atol=1e-5)
