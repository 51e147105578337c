"""Which weights read a prompt: the right dtype for each phase.

Decoding one token at a time is memory-bound, so bfloat16 (half the bytes) is the
faster dtype for it on a CPU. Reading a prompt is compute-bound: a CPU without
bfloat16 matrix instructions reads a long prompt several times faster in float32,
while one with them (AMX / AVX512-BF16) reads it faster in bfloat16 (measured with
bench/bench_engine.py: 512 tokens on one thread, 10.7 s in bfloat16 vs 30.1 s in
float32 on an AMX Xeon). So on a CPU without those instructions the engine reads
prompts of PREFILL_FLOAT32_MIN_TOKENS or more with a float32 copy of the weights,
made on the first long prompt, and decodes with the bfloat16 model; the prompt's
keys and values are cast to bfloat16 when the row joins the batch. The copy is
only made for small models (LMLAB_PREFILL_FLOAT32_MAX_MB, default 1500 MB of
float32 weights). LMLAB_PREFILL_FLOAT32=1 or 0 forces the choice either way.
"""

from __future__ import annotations

import copy
import os
import threading

import torch

PREFILL_FLOAT32_MIN_TOKENS = 128


class PrefillWeights:
    def __init__(self, loaded):
        self.loaded = loaded
        self._float32 = None
        self._lock = threading.Lock()
        limit = float(os.environ.get("LMLAB_PREFILL_FLOAT32_MAX_MB", "1500")) * 2**20
        half = loaded.dtype in (torch.bfloat16, torch.float16)
        wanted = os.environ.get("LMLAB_PREFILL_FLOAT32", "auto").strip().lower()
        choice = {"1": True, "0": False}.get(wanted, not cpu_has_bfloat16_matmul())
        self.enabled = (str(loaded.device) == "cpu" and half and loaded.nbytes * 2 <= limit
                        and choice)

    def model_for(self, prompt_tokens: int):
        """The model that reads a prompt of this many tokens."""
        if not self.enabled or prompt_tokens < PREFILL_FLOAT32_MIN_TOKENS:
            return self.loaded.model
        with self._lock:
            if self._float32 is None:
                self._float32 = copy.deepcopy(self.loaded.model).to(torch.float32).eval()
            return self._float32


def cpu_has_bfloat16_matmul() -> bool:
    """Whether this CPU multiplies bfloat16 matrices natively (Linux reports it)."""
    try:
        with open("/proc/cpuinfo") as info:
            flags = info.read()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def cast_cache(cache, dtype: torch.dtype) -> None:
    """Keys and values of a cache in the decoding model's dtype."""
    for layer in cache.layers:
        if layer.keys is not None and layer.keys.dtype != dtype:
            layer.keys, layer.values = layer.keys.to(dtype), layer.values.to(dtype)
            layer.dtype = dtype
