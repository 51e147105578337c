"""Device and dtype choice.

Device: cuda > mps > cpu, `LMLAB_DEVICE` overrides.
dtype by measurement (bench/bench_foundation.py prints it): on GPUs half precision
is the norm; on the development CPU (2 cores) bfloat16 decodes SmolLM2 about twice
as fast as float32 because decoding is memory-bound. `LMLAB_DTYPE` overrides.
Views that show exact numbers (attention math, probabilities checked to 1e-5)
ask for the "inspect" purpose, which is always float32.
"""

from __future__ import annotations

import os

import torch

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def choose_device() -> str:
    wanted = os.environ.get("LMLAB_DEVICE", "").strip().lower()
    if wanted:
        return wanted
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def choose_dtype(device: str, purpose: str = "generate") -> torch.dtype:
    """float32 for exact numbers; otherwise the fastest dtype measured per device."""
    if purpose == "inspect":
        return torch.float32
    override = os.environ.get("LMLAB_DTYPE", "").strip().lower()
    if override:
        if override not in DTYPES:
            raise ValueError(f"LMLAB_DTYPE must be one of {sorted(DTYPES)}")
        return DTYPES[override]
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device == "mps":
        return torch.float16
    return torch.bfloat16


def describe_device(device: str) -> str:
    """A short human label for the sidebar."""
    if device.startswith("cuda") and torch.cuda.is_available():
        index = torch.device(device).index or 0
        return f"GPU · {torch.cuda.get_device_name(index)}"
    if device == "mps":
        return "GPU · Apple Metal"
    return f"CPU · {torch.get_num_threads()} threads"
