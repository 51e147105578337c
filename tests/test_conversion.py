"""The embedded SmolLM2, converted from its GGUF: same logits, tied head, never half-written."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import pytest
import torch

from lmlab import conversion, hf, sources
from lmlab.registry import get_spec
from tiny_models import build_llama

SMOLLM = get_spec("HuggingFaceTB/SmolLM2-135M-Instruct")
TEXT = "The quick brown fox jumps over the lazy dog. Language models predict the next token."


@pytest.fixture()
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LMLAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(conversion.tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    return tmp_path


def fake_gguf(tmp_path: Path) -> Path:
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF" + b"\0" * 60)
    return gguf


@pytest.fixture()
def tiny_writer(monkeypatch):
    """The conversion's last step writes a tiny real checkpoint (the real one takes a minute);
    what is under test here is the folder handling around it."""
    calls = []

    def write(gguf, out, pause=0.0):
        calls.append(out)
        time.sleep(pause)
        build_llama(out)
        real_write_marker(gguf, out)

    def real_write_marker(gguf, out):
        import json

        sizes = {name: (out / name).stat().st_size for name in conversion.REQUIRED}
        (out / conversion.MARKER).write_text(json.dumps({**conversion._fingerprint(gguf),
                                                         "sizes": sizes}))

    monkeypatch.setattr(conversion, "_write_checkpoint", write)
    return calls


def test_a_half_written_conversion_is_detected_and_rebuilt(cache, tiny_writer):
    gguf = fake_gguf(cache)
    target = cache / "cache" / "converted" / "model"
    target.mkdir(parents=True)
    (target / "config.json").write_text("{}")  # what an interrupted run used to leave
    (cache / "cache" / "converted" / "model.tmp-abc").mkdir()
    path = conversion.converted_gguf(gguf.parent, gguf.name)
    assert path == target and conversion.is_complete(target, gguf) and len(tiny_writer) == 1
    assert not list(target.parent.glob("model.tmp-*"))
    # Damage after the fact (a truncated weights file) is detected too.
    with open(target / "model.safetensors", "r+b") as handle:
        handle.truncate(100)
    assert not conversion.is_complete(target, gguf)
    conversion.converted_gguf(gguf.parent, gguf.name)
    assert len(tiny_writer) == 2 and conversion.is_complete(target, gguf)


def test_an_interrupted_conversion_leaves_nothing_that_looks_finished(cache, monkeypatch):
    gguf = fake_gguf(cache)

    def interrupted(gguf, out):
        build_llama(out)
        raise KeyboardInterrupt  # the server is stopped mid-way

    monkeypatch.setattr(conversion, "_write_checkpoint", interrupted)
    with pytest.raises(KeyboardInterrupt):
        conversion.converted_gguf(gguf.parent, gguf.name)
    root = cache / "cache" / "converted"
    assert not (root / "model").exists() and not list(root.glob("model.tmp-*"))


def test_concurrent_conversions_write_once(cache, tiny_writer, monkeypatch):
    gguf = fake_gguf(cache)
    slow = conversion._write_checkpoint
    monkeypatch.setattr(conversion, "_write_checkpoint", lambda g, o: slow(g, o, pause=0.5))
    paths = []
    threads = [threading.Thread(target=lambda: paths.append(
        conversion.converted_gguf(gguf.parent, gguf.name))) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(tiny_writer) == 1 and len(set(paths)) == 1 and len(paths) == 5


def test_an_unwritable_cache_falls_back_to_the_temporary_folder_then_to_the_gguf(
        cache, tiny_writer, monkeypatch, caplog):
    gguf = fake_gguf(cache)
    blocker = cache / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("LMLAB_CACHE", str(blocker / "cache"))  # cannot be created
    with caplog.at_level(logging.WARNING, logger="lmlab"):
        path = conversion.converted_gguf(gguf.parent, gguf.name)
    assert path == cache / "tmp" / "lmlab-converted" / "model"
    assert "Cannot write the converted model" in caplog.text
    monkeypatch.setattr(conversion.tempfile, "tempdir", str(blocker / "tmp"))
    assert conversion.converted_gguf(gguf.parent, gguf.name) == gguf
    assert len(tiny_writer) == 1


@pytest.fixture(scope="module")
def real_conversion(tmp_path_factory):
    if not sources.offline_available(SMOLLM):
        pytest.skip("the embedded SmolLM2 package is not installed")
    import os

    before = os.environ.get("LMLAB_CACHE")
    os.environ["LMLAB_CACHE"] = str(tmp_path_factory.mktemp("lmlab-cache"))
    try:
        folder = sources.package_dir(SMOLLM.offline.package)
        yield folder, conversion.converted_gguf(folder, SMOLLM.offline.file)
    finally:
        if before is None:
            os.environ.pop("LMLAB_CACHE", None)
        else:
            os.environ["LMLAB_CACHE"] = before


def test_converted_smollm2_gives_the_gguf_models_logits(real_conversion, caplog):
    folder, converted = real_conversion
    names = hf.tf()
    assert converted.name == Path(SMOLLM.offline.file).stem
    with caplog.at_level(logging.WARNING):
        mine = names.AutoModelForCausalLM.from_pretrained(converted, dtype=torch.float32).eval()
    assert "LOAD REPORT" not in caplog.text and "newly initialized" not in caplog.text
    assert hf.head_is_tied(mine) and mine.config.tie_word_embeddings
    theirs = names.AutoModelForCausalLM.from_pretrained(
        folder, gguf_file=SMOLLM.offline.file, dtype=torch.float32).eval()
    tokenizer = names.AutoTokenizer.from_pretrained(converted)
    ids = tokenizer(TEXT, return_tensors="pt")["input_ids"]  # (1, T)
    with torch.no_grad():
        a, b = mine(ids).logits, theirs(ids).logits  # (1, T, V)
    assert a.shape == (1, ids.shape[1], 49152)
    assert torch.allclose(a, b, atol=1e-5, rtol=0)
    assert (a[0, -1].argmax() == b[0, -1].argmax()).item()
