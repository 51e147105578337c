"""Shared fixtures: tiny models on disk, registered in the catalog; no network."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

# Tests never touch the network: the Hub is "unreachable" from the start.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ.setdefault("LMLAB_DEVICE", "cpu")

from lmlab import registry  # noqa: E402
from lmlab.loading import ModelStore  # noqa: E402
from tiny_models import TINY, build_all, catalog_entries, registered_first  # noqa: E402


@pytest.fixture(scope="session")
def tiny_paths(tmp_path_factory) -> dict[str, Path]:
    return build_all(tmp_path_factory.mktemp("tiny-models"))


@pytest.fixture(scope="session")
def tiny_specs(tiny_paths) -> dict[str, registry.ModelSpec]:
    specs = {}
    for entry in catalog_entries(tiny_paths):
        entry = dict(entry)
        path = entry.pop("path")
        langs = tuple(entry.pop("languages")) if entry.get("languages") else None
        specs[entry["id"]] = registry.ModelSpec(
            id=entry["id"], name=entry["name"], kind=entry["kind"], tasks=frozenset(entry["tasks"]),
            license=entry["license"], params_m=entry["params_m"], languages=langs,
            offline=registry.OfflineSource("local", path=path))
    return specs


@pytest.fixture()
def tiny_catalog(tiny_specs):
    """Register the tiny models first in the catalog, so pages pick them by default."""
    with registered_first(tiny_specs):
        yield tiny_specs


@pytest.fixture()
def tiny_fallback(monkeypatch, tiny_catalog):
    """The tiny chat model stands in for SmolLM2 as the translate/summarize fallback."""
    from lmlab import seq2seq_engines

    monkeypatch.delenv("LMLAB_LOCAL_SEQ2SEQ", raising=False)
    monkeypatch.setattr(seq2seq_engines, "FALLBACK_MODEL_ID", "tiny/llama-chat")


@pytest.fixture()
def store(tiny_catalog) -> ModelStore:
    return ModelStore(budget_bytes=2**30, device="cpu")


@pytest.fixture()
def tiny_llama(store):
    return store.get("tiny/llama-chat")


@pytest.fixture()
def tiny_gpt2(store):
    return store.get("tiny/gpt2")


__all__ = ["TINY"]


@pytest.fixture(scope="module")
def smollm():
    """The embedded SmolLM2-135M-Instruct, float32, as the inspection pages load it."""
    from lmlab import sources

    spec = registry.get_spec("HuggingFaceTB/SmolLM2-135M-Instruct")
    if not sources.offline_available(spec):
        pytest.skip("the embedded SmolLM2 is not installed")
    return ModelStore(device="cpu").get(spec.id, "inspect")


@pytest.fixture(autouse=True, scope="session")
def apptest_runs_through_the_router():
    """AppTest forgets before every run that app.py routes with st.navigation, so each
    run would start as an old-style pages/ app and skip app.py. A real server learns
    it once (components.navigation.use_router); do the same here, so AppTests run
    pages the way users get them: through the router and its sidebar."""
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init
    yield
    PagesManager.__init__ = original
