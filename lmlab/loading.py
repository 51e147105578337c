"""The model layer: one loaded copy of each model per process, shared by all users.

`ModelStore.get(model_id, purpose)` returns a LoadedModel:
  purpose "generate" -> fastest dtype for the device, SDPA attention;
  purpose "inspect"  -> float32, for views that show exact numbers; attention
                        weights are captured inside `loaded.eager_attention()`.
Each LoadedModel carries a fair lock (lmlab/turns.py): one forward at a time per
model, users served in arrival order; streamed generation shares the model through
its batching engine (lmlab/batching.py).
A memory budget evicts the least recently used models first, so switching
models on a small Space never runs out of memory.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import threading
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable

import torch

from lmlab import hf, sources
from lmlab.device import choose_device, choose_dtype
from lmlab.errors import LMLabError, ModelUnavailable
from lmlab.errors import is_out_of_memory
from lmlab.load_failures import Backoff, explain
from lmlab.registry import ModelSpec, get_spec
from lmlab.turns import FairLock
from lmlab.wordvectors import WordVectors, load_glove_folder

PURPOSES = ("generate", "inspect")
log = logging.getLogger("lmlab")


@dataclass
class LoadedModel:
    spec: ModelSpec
    model: Any  # a transformers PreTrainedModel, or WordVectors
    tokenizer: Any
    device: str
    dtype: torch.dtype | None
    purpose: str
    source: str  # "hub" or "offline"
    path: str
    load_seconds: float
    nbytes: int
    lock: FairLock = field(default_factory=FairLock, repr=False)  # turns in arrival order
    last_used: float = field(default_factory=time.monotonic)

    @property
    def key(self) -> tuple[str, str]:
        return (self.spec.id, self.purpose)

    @property
    def context_length(self) -> int:
        config = getattr(self.model, "config", None)
        for name in ("max_position_embeddings", "n_positions", "max_length"):
            value = getattr(config, name, None)
            if isinstance(value, int) and value > 0:
                return value
        return 1024

    @property
    def source_label(self) -> str:
        return "Hugging Face Hub" if self.source == "hub" else "embedded offline copy"

    @contextlib.contextmanager
    def eager_attention(self):
        """Switch to eager attention so attention weights can be returned.

        SDPA silently returns no attentions; eager is slower, so generation
        keeps SDPA and only inspection switches, under the model's lock.
        """
        with self.lock:
            model = self.model
            before = getattr(model.config, "_attn_implementation", None)
            if before != "eager":
                model.set_attn_implementation("eager")
            try:
                yield model
            finally:
                if before and before != "eager":
                    model.set_attn_implementation(before)


def _model_bytes(model: Any) -> int:
    if isinstance(model, WordVectors):
        return model.nbytes
    return sum(p.numel() * p.element_size() for p in model.parameters()) + sum(
        b.numel() * b.element_size() for b in model.buffers())


def _auto_class(kind: str):
    names = hf.tf()
    return {"causal-lm": names.AutoModelForCausalLM, "seq2seq": names.AutoModelForSeq2SeqLM,
            "encoder": names.AutoModel, "masked-lm": names.AutoModelForMaskedLM,
            "seq-classifier": names.AutoModelForSequenceClassification,
            "extractive-qa": names.AutoModelForQuestionAnswering}[kind]


def load_uncached(spec: ModelSpec, purpose: str = "generate", device: str | None = None) -> LoadedModel:
    """Load one model without any cache (the store calls this). Errors propagate."""
    if purpose not in PURPOSES:
        raise ValueError(f"purpose must be one of {PURPOSES}")
    device = device or choose_device()
    start = time.perf_counter()
    where, path = sources.resolve(spec)
    if spec.kind == "word-vectors":
        vectors = load_glove_folder(path)
        return LoadedModel(spec, vectors, None, "cpu", None, purpose, where, path,
                           time.perf_counter() - start, vectors.nbytes)
    try:
        model, tokenizer, dtype = _build(spec, where, path, device, purpose)
    except (OSError, ValueError) as error:
        if where == "hub" and sources.offline_available(spec):
            # The Hub answered the probe but the download failed: use the embedded copy.
            log.warning("Downloading %s failed (%s); using the embedded copy", spec.id, error)
            sources.forget_probe()
            return load_uncached_offline(spec, purpose, device)
        raise
    model.to(device).eval()
    if tokenizer.pad_token is None and tokenizer.eos_token is not None:
        tokenizer.pad_token = tokenizer.eos_token
    return LoadedModel(spec, model, tokenizer, device, dtype, purpose, where, str(path),
                       time.perf_counter() - start, _model_bytes(model))


def _build(spec: ModelSpec, where: str, path: str, device: str, purpose: str):
    """(model, tokenizer, dtype) built under the process-wide build lock (see lmlab.hf)."""
    names = hf.tf()
    dtype = choose_dtype(device, purpose)
    kwargs = dict(trust_remote_code=False, dtype=dtype)
    folder, gguf = path, None
    if path.endswith(".gguf"):  # the converted copy could not be written anywhere
        folder, gguf = os.path.dirname(path), os.path.basename(path)
        kwargs["gguf_file"] = gguf
    else:
        kwargs["use_safetensors"] = True
    if where == "offline":
        kwargs["local_files_only"] = True
    with hf.build_lock:
        hf.repair_tying()
        tokenizer = names.AutoTokenizer.from_pretrained(
            folder, trust_remote_code=False, local_files_only=where == "offline",
            **({"gguf_file": gguf} if gguf else {}))
        model = _auto_class(spec.kind).from_pretrained(folder, attn_implementation="sdpa",
                                                       **kwargs)
        if not hf.head_is_tied(model):
            model.tie_weights()
    if not hf.head_is_tied(model):
        raise RuntimeError(f"{spec.id}: the output head is not tied to the embeddings")
    return model, tokenizer, dtype


def load_uncached_offline(spec: ModelSpec, purpose: str, device: str) -> LoadedModel:
    from dataclasses import replace

    return load_uncached(replace(spec, hub_repo=None), purpose, device)


def default_budget_bytes(device: str) -> int:
    """LMLAB_MEMORY_BUDGET_MB, else 80% of GPU memory or 40% of system RAM."""
    if os.environ.get("LMLAB_MEMORY_BUDGET_MB"):
        return int(float(os.environ["LMLAB_MEMORY_BUDGET_MB"]) * 2**20)
    if device.startswith("cuda") and torch.cuda.is_available():
        return int(torch.cuda.get_device_properties(torch.device(device)).total_memory * 0.8)
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") * 0.4)
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


class ModelStore:
    """Process-wide cache of loaded models with an LRU memory budget."""

    def __init__(self, budget_bytes: int | None = None, device: str | None = None,
                 loader: Callable[..., LoadedModel] = load_uncached):
        self.device = device or choose_device()
        self.budget_bytes = budget_bytes if budget_bytes is not None else default_budget_bytes(self.device)
        self._loader = loader
        self._models: OrderedDict[tuple[str, str], LoadedModel] = OrderedDict()
        self._lock = threading.Lock()
        self._loading: dict[tuple[str, str], threading.Lock] = {}
        self.evicted: list[tuple[str, str]] = []
        self._backoff = Backoff()
        _stores.add(self)

    def loaded_keys(self) -> list[tuple[str, str]]:
        with self._lock:
            return list(self._models)

    def used_bytes(self) -> int:
        with self._lock:
            return sum(m.nbytes for m in self._models.values())

    def is_loaded(self, model_id: str, purpose: str = "generate") -> bool:
        with self._lock:
            return (get_spec(model_id).id, purpose) in self._models

    def get(self, model_id: str, purpose: str = "generate") -> LoadedModel:
        spec = get_spec(model_id)  # refuses ids outside the catalog
        if spec.kind == "word-vectors":
            purpose = "generate"  # one copy serves every purpose
        key = (spec.id, purpose)
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                loaded = self._models[key]
                loaded.last_used = time.monotonic()
                return loaded
            key_lock = self._loading.setdefault(key, threading.Lock())
        with key_lock:  # two sessions asking at once load it once
            with self._lock:
                if key in self._models:
                    return self._models[key]
            self._backoff.check(key)  # failed just now: say so, without reloading
            loaded = self._load(spec, purpose, key)
            with self._lock:
                self._evict_for(loaded.nbytes, keep=key)
                self._models[key] = loaded
            return loaded

    def _load(self, spec: ModelSpec, purpose: str, key: tuple[str, str]) -> LoadedModel:
        """The loader's result; a failure is logged with its traceback and explained."""
        try:
            try:
                loaded = self._loader(spec, purpose, self.device)
            except Exception as error:
                if not is_out_of_memory(error) or not self.trim(keep=key):
                    raise
                log.warning("Out of memory loading %s; unloaded other models, trying again",
                            spec.id)
                loaded = self._loader(spec, purpose, self.device)
        except ModelUnavailable as error:
            if error.__cause__ is None and error.__context__ is None:
                raise  # a plain sentence (offline, not installed): nothing failed
            self._fail(spec, purpose, key, error, str(error))
        except LMLabError:
            raise
        except Exception as error:  # a broken download, a damaged file, out of memory...
            self._fail(spec, purpose, key, error, None)
        self._backoff.clear(key)
        return loaded

    def _fail(self, spec, purpose, key, error, message):
        where = sources.likely_source(spec)
        log.error("Loading %s for %s (from %s) failed", spec.id, purpose, where or "nowhere",
                  exc_info=error)
        if where == "offline" and spec.offline is not None and spec.offline.kind == "gguf" \
                and not is_out_of_memory(error):
            from lmlab.conversion import conversion_roots, remove_conversion

            for root in conversion_roots():  # a damaged converted copy is rebuilt next time
                remove_conversion(root / os.path.splitext(spec.offline.file)[0])
        message = message or explain(spec, error, where)
        self._backoff.record(key, message)
        raise ModelUnavailable(message) from error

    def retry(self, model_id: str, purpose: str = "generate") -> None:
        """Forget the last failure of a model, so the next get() loads it at once."""
        spec = get_spec(model_id)
        self._backoff.clear((spec.id, "generate" if spec.kind == "word-vectors" else purpose))

    def failed(self, model_id: str, purpose: str = "generate") -> bool:
        spec = get_spec(model_id)
        return self._backoff.failed((spec.id, "generate" if spec.kind == "word-vectors"
                                     else purpose))

    def trim(self, keep: tuple[str, str] | None = None) -> bool:
        """Unload every model but `keep` (memory ran short); True if any was unloaded."""
        with self._lock:
            dropped = [k for k in self._models if k != keep]
            for old_key in dropped:
                del self._models[old_key]
                self.evicted.append(old_key)
        gc.collect()
        if self.device.startswith("cuda") and torch.cuda.is_available():
            torch.cuda.empty_cache()
        return bool(dropped)

    def _evict_for(self, incoming: int, keep: tuple[str, str]) -> None:
        used = sum(m.nbytes for m in self._models.values())
        while self._models and used + incoming > self.budget_bytes:
            old_key, old = next(iter(self._models.items()))
            if old_key == keep:
                break
            del self._models[old_key]
            self.evicted.append(old_key)
            used -= old.nbytes
        if self.device.startswith("cuda") and self.evicted:
            torch.cuda.empty_cache()

    def clear(self) -> None:
        with self._lock:
            self._models.clear()


_stores: weakref.WeakSet[ModelStore] = weakref.WeakSet()


def free_memory() -> None:
    """Memory ran short: every store keeps only its most recently used model."""
    for store in list(_stores):
        with store._lock:
            keep = next(reversed(store._models), None)
        store.trim(keep=keep)


_default_store: ModelStore | None = None
_default_lock = threading.Lock()


def default_store() -> ModelStore:
    """The module-level store used by the Gradio app and scripts."""
    global _default_store
    with _default_lock:
        if _default_store is None:
            _default_store = ModelStore()
        return _default_store
