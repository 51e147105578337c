"""A model that fails to load: one sentence on the page, a Retry that loads it once fixed."""

from __future__ import annotations

import shutil

from apptest_helpers import all_text, open_page
from lmlab import registry


def test_a_failed_load_says_so_and_retry_loads_it(tiny_catalog, tiny_paths, tmp_path):
    folder = tmp_path / "flaky"
    folder.mkdir()
    (folder / "config.json").write_text("{not json")  # a damaged copy
    spec = registry.ModelSpec(id="tiny/flaky", name="Flaky Tiny", kind="causal-lm",
                              tasks=frozenset({"generate"}), license="test", params_m=0.05,
                              offline=registry.OfflineSource("local", path=str(folder)))
    registry.register(spec)
    try:
        at = open_page("pages/next_token.py")
        errors = [e.value for e in at.error]
        assert any("Flaky Tiny failed to load" in e for e in errors), errors
        assert not at.exception
        retry = [b for b in at.button if b.label == "Retry"]
        assert len(retry) == 1
        # Within the pause another run does not reload; it says when it will try again.
        at.run()
        assert "tries loading it again" in all_text(at)
        shutil.rmtree(folder)
        shutil.copytree(tiny_paths["tiny/llama-chat"], folder)  # the copy is repaired
        [b for b in at.button if b.label == "Retry"][0].click().run()
        assert not at.exception
        assert not [e.value for e in at.error if "Flaky" in e.value], [e.value for e in at.error]
        assert not [b for b in at.button if b.label == "Retry"]
        assert "Flaky Tiny" in all_text(at)
    finally:
        registry.unregister("tiny/flaky")
