"""Finding a model's files: the Hub when reachable, the embedded copy otherwise.

Offline detection must be fast (a classroom behind a firewall must not wait on
time-outs): HF_HUB_OFFLINE / LMLAB_OFFLINE answer at once, otherwise one TCP
connect to the Hub endpoint (HF_ENDPOINT honoured) with a short time-out,
remembered for a minute.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

from lmlab.errors import ModelUnavailable
from lmlab.registry import ModelSpec, OfflineSource

_TRUE = {"1", "true", "yes", "on"}
_probe_lock = threading.Lock()
_probe_cache: dict[str, tuple[float, bool]] = {}
PROBE_TTL_S = 60.0
PROBE_TIMEOUT_S = 1.5


def hub_endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def offline_forced() -> bool:
    return any(os.environ.get(v, "").lower() in _TRUE
               for v in ("HF_HUB_OFFLINE", "LMLAB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def hub_reachable() -> bool:
    """True when the Hub (or its mirror) answers a TCP connect quickly."""
    if offline_forced():
        return False
    endpoint = hub_endpoint()
    now = time.monotonic()
    with _probe_lock:
        cached = _probe_cache.get(endpoint)
        if cached and now - cached[0] < PROBE_TTL_S:
            return cached[1]
        url = urlparse(endpoint)
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            with socket.create_connection((url.hostname, port), timeout=PROBE_TIMEOUT_S):
                ok = True
        except OSError:
            ok = False
        _probe_cache[endpoint] = (now, ok)
        return ok


def forget_probe() -> None:
    with _probe_lock:
        _probe_cache.clear()


def package_dir(package: str) -> Path | None:
    """The folder of an installed package, found without importing it."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def cache_dir() -> Path:
    root = os.environ.get("LMLAB_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "lmlab")
    return Path(root)


def offline_available(spec: ModelSpec) -> bool:
    src = spec.offline
    if src is None:
        return False
    if src.kind == "local":
        return Path(src.path).is_dir()
    folder = package_dir(src.package)
    return folder is not None and (folder / src.file).exists()


def is_available(spec: ModelSpec) -> bool:
    """Can this model be loaded right now (embedded copy, or Hub reachable)?"""
    return offline_available(spec) or (spec.hub_repo is not None and hub_reachable())


def resolve(spec: ModelSpec, prefer_hub: bool = True) -> tuple[str, str]:
    """(where, path_or_repo): where is "hub" or "offline"."""
    if prefer_hub and spec.hub_repo and hub_reachable():
        return "hub", spec.hub_repo
    if offline_available(spec):
        return "offline", str(offline_path(spec.offline))
    if spec.hub_repo:
        raise ModelUnavailable(
            f"{spec.name} needs the Hugging Face Hub, which cannot be reached from here; "
            "choose a model marked 'offline' or connect to the internet.")
    raise ModelUnavailable(f"{spec.name} is not installed; run the setup command again.")


def offline_path(src: OfflineSource) -> Path:
    if src.kind == "local":
        return Path(src.path)
    folder = package_dir(src.package)
    if folder is None:
        raise ModelUnavailable(f"The package {src.package} is not installed; run the setup again.")
    if src.kind == "gguf":
        return converted_gguf(folder, src.file)
    return folder / src.file


_convert_lock = threading.Lock()


def converted_gguf(folder: Path, gguf_file: str) -> Path:
    """A safetensors checkpoint converted once from a GGUF file, then reused.

    Loading GGUF dequantizes every tensor (~20-35 s on 2 cores); the converted
    folder reloads in well under a second. The conversion writes to a temporary
    folder and renames it, so a crash never leaves a half-written checkpoint.
    """
    target = cache_dir() / "converted" / Path(gguf_file).stem
    if (target / "config.json").exists():
        return target
    with _convert_lock:
        if (target / "config.json").exists():
            return target
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=gguf_file)
        quantized = AutoModelForCausalLM.from_pretrained(folder, gguf_file=gguf_file,
                                                         dtype=torch.float32)
        config = quantized.config
        if hasattr(config, "quantization_config"):
            del config.quantization_config  # the weights are dequantized now
        config.dtype = torch.float32
        model = AutoModelForCausalLM.from_config(config)
        model.load_state_dict(quantized.state_dict())
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
        try:
            model.save_pretrained(tmp, safe_serialization=True)
            tokenizer.save_pretrained(tmp)
            tmp.rename(target)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
            if not (target / "config.json").exists():
                raise
        return target
