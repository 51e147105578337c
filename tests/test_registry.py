import pytest

from lmlab import registry
from lmlab.errors import ModelRefused


def test_catalog_has_the_online_and_offline_models():
    ids = {s.id for s in registry.BUILTIN_CATALOG}
    for wanted in ["HuggingFaceTB/SmolLM2-135M-Instruct", "HuggingFaceTB/SmolLM2-360M-Instruct",
                   "distilgpt2", "gpt2", "Helsinki-NLP/opus-mt-en-zh", "Helsinki-NLP/opus-mt-zh-en",
                   "Helsinki-NLP/opus-mt-en-de", "Helsinki-NLP/opus-mt-en-fr",
                   "sshleifer/distilbart-cnn-12-6", "google-t5/t5-small", "bert-base-uncased",
                   "sentence-transformers/all-MiniLM-L6-v2", "glove-6B-50d"]:
        assert wanted in ids
    offline = {s.id for s in registry.BUILTIN_CATALOG if s.offline}
    assert offline == {"HuggingFaceTB/SmolLM2-135M-Instruct",
                       "sentence-transformers/all-MiniLM-L6-v2", "glove-6B-50d"}


def test_every_spec_is_complete():
    for spec in registry.BUILTIN_CATALOG:
        assert spec.tasks and spec.tasks <= set(registry.TASKS), spec.id
        assert spec.kind in registry.KINDS
        assert spec.license and spec.params_m > 0
        assert spec.hub_repo or spec.offline
        if "translate" in spec.tasks and spec.kind == "seq2seq" and "t5" not in spec.id:
            assert spec.languages and len(spec.languages) == 2


def test_lookup_by_id_or_hub_repo():
    assert registry.get_spec("distilgpt2").hub_repo == "distilbert/distilgpt2"
    assert registry.get_spec("distilbert/distilgpt2").id == "distilgpt2"


@pytest.mark.parametrize("bad", ["evil/model", "", "../../etc/passwd", "x" * 500])
def test_ids_outside_the_catalog_are_refused(bad, monkeypatch):
    monkeypatch.delenv("LMLAB_ALLOW_ANY_MODEL", raising=False)
    with pytest.raises(ModelRefused) as info:
        registry.get_spec(bad)
    assert "catalog" in str(info.value)
    assert len(str(info.value)) < 200


def test_any_model_allowed_by_switch(monkeypatch):
    monkeypatch.setenv("LMLAB_ALLOW_ANY_MODEL", "1")
    spec = registry.get_spec("someone/some-model")
    assert spec.hub_repo == "someone/some-model" and spec.offline is None


def test_catalog_file_adds_local_models_after_builtins(tmp_path, monkeypatch):
    path = tmp_path / "c.json"
    path.write_text('[{"id": "my/model", "name": "Mine", "kind": "causal-lm", '
                    '"tasks": ["generate"], "path": "%s"}]' % tmp_path)
    monkeypatch.setenv("LMLAB_CATALOG_FILE", str(path))
    ids = [s.id for s in registry.models_for("generate")]
    assert ids[-1] == "my/model" and ids[0] != "my/model"
    assert registry.get_spec("my/model").offline.path == str(tmp_path)
