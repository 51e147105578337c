"""The embedded SmolLM2 GGUF, converted once into a safetensors checkpoint.

Loading a GGUF dequantizes every tensor (~20-35 s on 2 cores); the converted
folder reloads in well under a second. A converted folder counts only when its
completion marker is there and matches what it describes (the GGUF it came
from, the size of its weights file): the conversion writes into a temporary
folder, writes the marker last and renames the folder into place, under a lock
that other threads and other server processes respect. A folder left
half-written by an interrupted run, or damaged later, is removed and rebuilt.

If the cache folder cannot be written (read-only, disk full), the conversion
goes to the system's temporary folder; if that fails too, the GGUF file itself
is returned and loaded directly (slower, same weights).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path

from lmlab.errors import ModelUnavailable

log = logging.getLogger("lmlab")

MARKER = "lmlab-conversion.json"
REQUIRED = ("config.json", "model.safetensors", "tokenizer.json")
_thread_lock = threading.Lock()


def conversion_roots() -> list[Path]:
    """Where converted copies may live, in order of preference."""
    from lmlab.sources import cache_dir

    return [cache_dir() / "converted", Path(tempfile.gettempdir()) / "lmlab-converted"]


def _fingerprint(gguf: Path) -> dict:
    stat = gguf.stat()
    return {"gguf": gguf.name, "gguf_bytes": stat.st_size}


def is_complete(target: Path, gguf: Path) -> bool:
    """True when `target` holds a finished conversion of this very GGUF file."""
    try:
        marker = json.loads((target / MARKER).read_text())
        if {k: marker.get(k) for k in ("gguf", "gguf_bytes")} != _fingerprint(gguf):
            return False
        sizes = marker["sizes"]
        return all((target / name).stat().st_size == sizes[name] for name in REQUIRED)
    except (OSError, ValueError, KeyError, TypeError):
        return False


def converted_gguf(folder: Path, gguf_file: str) -> Path:
    """The converted checkpoint folder for `folder/gguf_file` (or the GGUF itself)."""
    gguf = Path(folder) / gguf_file
    name = Path(gguf_file).stem
    roots = conversion_roots()
    for root in roots:
        if is_complete(root / name, gguf):
            return root / name
    problems = []
    for root in roots:
        try:
            return _convert_into(root / name, gguf)
        except OSError as error:  # read-only, disk full, permissions
            problems.append(f"{root}: {error.strerror or error}")
            log.warning("Cannot write the converted %s into %s (%s)", name, root, error)
    log.warning("LM Lab loads %s straight from the GGUF file (slower): %s", name,
                "; ".join(problems))
    return gguf


def remove_conversion(path: Path) -> None:
    """Forget a converted copy that failed to load, so the next load rebuilds it."""
    path = Path(path)
    if path.suffix != ".gguf" and (path / MARKER).exists():
        log.warning("Removing the converted copy %s so it is rebuilt", path)
        with contextlib.suppress(OSError):
            (path / MARKER).unlink()
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def _process_lock(lock_file: Path):
    """Holds `lock_file` exclusively against other processes (where fcntl exists)."""
    with _thread_lock, open(lock_file, "a+") as handle:
        try:
            import fcntl
        except ImportError:  # Windows: threads are still serialized
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _convert_into(target: Path, gguf: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    with _process_lock(target.parent / f".{target.name}.lock"):
        if is_complete(target, gguf):  # another thread or process finished meanwhile
            return target
        if target.exists():
            log.warning("Rebuilding %s: it was left incomplete or does not match %s",
                        target, gguf.name)
            shutil.rmtree(target)
        for stale in target.parent.glob(target.name + ".tmp-*"):  # leftovers of a crash
            shutil.rmtree(stale, ignore_errors=True)
        tmp = Path(tempfile.mkdtemp(prefix=target.name + ".tmp-", dir=target.parent))
        try:
            _write_checkpoint(gguf, tmp)
            tmp.rename(target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        log.info("Converted %s into %s", gguf.name, target)
        return target


def _write_checkpoint(gguf: Path, out: Path) -> None:
    import torch

    from lmlab import hf

    names = hf.tf()
    with hf.build_lock:
        hf.repair_tying()
        tokenizer = names.AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        quantized = names.AutoModelForCausalLM.from_pretrained(
            gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
        config = quantized.config
        if hasattr(config, "quantization_config"):
            del config.quantization_config  # the weights are dequantized now
        config.dtype = torch.float32
        model = names.AutoModelForCausalLM.from_config(config)
        model.load_state_dict(quantized.state_dict())
        model.tie_weights()
    if not hf.head_is_tied(model):
        raise ModelUnavailable("The converted SmolLM2 has an untied output head; "
                               "LM Lab refuses to save it.")
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    sizes = {name: (out / name).stat().st_size for name in REQUIRED}
    marker = {**_fingerprint(gguf), "sizes": sizes}
    with open(out / MARKER, "w") as handle:  # written last: its presence means complete
        json.dump(marker, handle)
        handle.flush()
        os.fsync(handle.fileno())
