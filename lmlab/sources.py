"""Finding a model's files: the Hub when reachable, the embedded copy otherwise.

Offline detection must be fast (a classroom behind a firewall must not wait on
time-outs): HF_HUB_OFFLINE / LMLAB_OFFLINE answer at once; otherwise one HTTP
request to the Hub endpoint's API (HF_ENDPOINT honoured) with a short time-out.
A bare TCP connect is not enough: a captive portal or a hanging proxy accepts
connections and never answers. The answer is shared by every session of the
process and remembered for a minute.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from lmlab.errors import ModelUnavailable
from lmlab.registry import ModelSpec, OfflineSource

log = logging.getLogger("lmlab")

_TRUE = {"1", "true", "yes", "on"}
_probe_lock = threading.Lock()
_probe_cache: dict[str, tuple[float, bool]] = {}
PROBE_TTL_S = 60.0
PROBE_TIMEOUT_S = 2.5
PROBE_PATH = "/api/models?limit=1"
REBUILD_COMMAND = "make setup"


def hub_endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def offline_forced() -> bool:
    return any(os.environ.get(v, "").lower() in _TRUE
               for v in ("HF_HUB_OFFLINE", "LMLAB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def _hub_api_answer(url: str, timeout: float) -> bool:
    """True when `url` answers like the Hub API: JSON, or a refusal that asks for a token.

    A captive portal's login page (HTML, often after a redirect) is not an answer.
    """
    request = urllib.request.Request(url, headers={"User-Agent": "lmlab-probe",
                                                   "Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            json.loads(response.read(65536).decode("utf-8", "replace"))
            return True
    except urllib.error.HTTPError as error:
        return error.code in (401, 403)
    except (OSError, ValueError):  # refused, time-out, DNS, TLS, not JSON
        return False


def _http_answers(url: str, timeout: float) -> bool:
    """`_hub_api_answer` within `timeout` seconds in all (a server that trickles bytes
    cannot hold a page longer than that)."""
    result: list[bool] = []
    worker = threading.Thread(target=lambda: result.append(_hub_api_answer(url, timeout)),
                              name="lmlab-hub-probe", daemon=True)
    worker.start()
    worker.join(timeout)
    return bool(result and result[0])


def hub_reachable() -> bool:
    """True when the Hub (or its mirror) answers an HTTP request quickly."""
    if offline_forced():
        return False
    endpoint = hub_endpoint()
    with _probe_lock:  # one probe at a time: sessions arriving together share its answer
        cached = _probe_cache.get(endpoint)
        if cached and time.monotonic() - cached[0] < PROBE_TTL_S:
            return cached[1]
        start = time.monotonic()
        ok = _http_answers(endpoint + PROBE_PATH, PROBE_TIMEOUT_S)
        if not ok:
            log.warning("The Hugging Face Hub at %s gave no answer within %.1f s (%.1f s spent); "
                        "LM Lab uses its embedded models.", endpoint, PROBE_TIMEOUT_S,
                        time.monotonic() - start)
        _probe_cache[endpoint] = (time.monotonic(), ok)
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
    raise ModelUnavailable(f"{spec.name} is not installed; run `{REBUILD_COMMAND}` and "
                           "restart LM Lab.")


def offline_path(src: OfflineSource) -> Path:
    if src.kind == "local":
        return Path(src.path)
    folder = package_dir(src.package)
    if folder is None:
        raise ModelUnavailable(f"The package {src.package} is not installed; run "
                               f"`{REBUILD_COMMAND}` and restart LM Lab.")
    if src.kind == "gguf":
        from lmlab.conversion import converted_gguf

        return converted_gguf(folder, src.file)
    return folder / src.file


def likely_source(spec: ModelSpec) -> str | None:
    """Where `resolve` would look for `spec` right now, without converting anything."""
    if spec.hub_repo and hub_reachable():
        return "hub"
    return "offline" if offline_available(spec) else None


def where_label(spec: ModelSpec) -> str:
    """Where a model would come from, for every model picker: "offline", "needs internet", "Hub"."""
    if offline_available(spec):
        return "offline"
    return "Hub" if is_available(spec) else "needs internet"


def first_available(specs: list[ModelSpec]) -> ModelSpec | None:
    """The model a picker starts on: the first that can load here (embedded copies offline)."""
    return next((s for s in specs if is_available(s)), specs[0] if specs else None)
