"""Where a token is: position encodings, from the original Transformer to RoPE.

Attention by itself is blind to order (it sums over a set), so every
Transformer injects position somehow:
  sinusoidal (Vaswani et al., 2017): PE[pos, 2i] = sin(pos / 10000^(2i/d)),
                                     PE[pos, 2i+1] = cos(pos / 10000^(2i/d)), added to embeddings;
  learned (GPT-2, BERT): a trained vector per position, added to embeddings;
  rotary (Llama, SmolLM2): q and k are rotated by angles proportional to the
                           position, so q·k depends on the offset between tokens.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np
import torch

from lmlab.errors import InputError
from lmlab.loading import LoadedModel

MAX_POSITIONS_SHOWN = 256
SINUSOID_BASE = 10000.0


def sinusoidal_encoding(n_positions: int, d_model: int, base: float = SINUSOID_BASE) -> np.ndarray:
    """(P, D) sinusoidal position encodings of "Attention Is All You Need"."""
    if not 1 <= n_positions <= MAX_POSITIONS_SHOWN:
        raise InputError(f"Positions must be between 1 and {MAX_POSITIONS_SHOWN}.")
    if d_model < 2 or d_model % 2:
        raise InputError("The encoding width must be an even number of at least 2.")
    pos = np.arange(n_positions)[:, None]  # (P, 1)
    i = np.arange(d_model // 2)[None, :]  # (1, D/2)
    angles = pos / base ** (2 * i / d_model)  # (P, D/2)
    pe = np.empty((n_positions, d_model))
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles)
    return pe


def cosine_similarity_matrix(vectors: np.ndarray) -> np.ndarray:
    """(P, P) cosine similarity between every pair of rows."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    unit = vectors / np.where(norms == 0, 1, norms)
    return unit @ unit.T


@dataclass
class PositionScheme:
    kind: str  # "rotary", "learned" or "unknown"
    summary: str  # one paragraph for the page
    max_positions: int
    rope_theta: float | None = None
    rotary_dim: int | None = None


def _learned_table(model) -> torch.nn.Embedding | None:
    for name, module in model.named_modules():
        if isinstance(module, torch.nn.Embedding) and name.endswith(("wpe", "position_embeddings")):
            return module
    return None


def _rotary_module(model):
    for name, module in model.named_modules():
        if name.endswith("rotary_emb") and hasattr(module, "inv_freq"):
            return module
    return None


def describe_positions(loaded: LoadedModel) -> PositionScheme:
    model, name = loaded.model, loaded.spec.name
    rotary = _rotary_module(model)
    if rotary is not None:
        theta = _rope_theta(model.config)
        dim = 2 * int(rotary.inv_freq.numel())
        return PositionScheme(
            "rotary",
            f"{name} adds no position vector at all. It uses rotary position embedding (RoPE): "
            f"inside every attention layer each query and key (of width {dim}) is split into "
            f"{dim // 2} pairs, and pair n is rotated by the angle position × θ_n, with "
            f"θ_n = {theta:g}^(−2n/{dim}). The dot product of a rotated query and key then "
            "depends on how far apart the two tokens are, not on where they sit.",
            loaded.context_length, theta, dim)
    table = _learned_table(model)
    if table is not None:
        rows, width = table.weight.shape
        return PositionScheme(
            "learned",
            f"{name} learned its own position vectors during training: a table of {rows:,} "
            f"positions × {width} numbers, and the vector for position p is added to the "
            "token's embedding before the first layer. Nothing forces them to be sinusoids; "
            "below are the model's real vectors.", rows)
    return PositionScheme("unknown", f"LM Lab cannot tell how {name} encodes positions.",
                          loaded.context_length)


def _rope_theta(config) -> float:
    params = getattr(config, "rope_parameters", None) or {}
    return float(params.get("rope_theta") or getattr(config, "rope_theta", 10000.0))


def _check_positions(n_positions: int, limit: int) -> None:
    top = min(MAX_POSITIONS_SHOWN, limit)
    if not 1 <= n_positions <= top:
        raise InputError(f"Positions must be between 1 and {top}.")


@torch.inference_mode()
def learned_positions(loaded: LoadedModel, n_positions: int) -> np.ndarray:
    """(P, C) the model's own trained position vectors for positions 0..P-1."""
    table = _learned_table(loaded.model)
    if table is None:
        raise InputError(f"{loaded.spec.name} has no learned position table.")
    _check_positions(n_positions, table.weight.shape[0])
    return table.weight[:n_positions].float().cpu().numpy()


@torch.inference_mode()
def rotary_angles(loaded: LoadedModel) -> np.ndarray:
    """(rotary_dim / 2,) the model's rotation frequencies θ_n (radians per position)."""
    rotary = _rotary_module(loaded.model)
    if rotary is None:
        raise InputError(f"{loaded.spec.name} does not use rotary position embedding.")
    return rotary.inv_freq.float().cpu().numpy()


@torch.inference_mode()
def rotary_scores(loaded: LoadedModel, n_positions: int, seed: int = 0) -> np.ndarray:
    """(P, P) q·k for one fixed query and key placed at every pair of positions.

    The vectors are rotated with the model's own rotary embedding; the matrix is
    constant along each diagonal because RoPE makes q·k depend on the offset only.
    """
    rotary = _rotary_module(loaded.model)
    if rotary is None:
        raise InputError(f"{loaded.spec.name} does not use rotary position embedding.")
    _check_positions(n_positions, loaded.context_length)
    dim = 2 * rotary.inv_freq.numel()
    generator = torch.Generator().manual_seed(seed)
    q = torch.randn(dim, generator=generator)
    k = torch.randn(dim, generator=generator)
    device = rotary.inv_freq.device
    positions = torch.arange(n_positions, device=device)[None]  # (1, P)
    probe = torch.zeros(1, device=device, dtype=torch.float32)
    cos, sin = rotary(probe, positions)  # (1, P, dim) each
    apply = sys.modules[type(rotary).__module__].apply_rotary_pos_emb  # the model's own rotation
    q_all = q.to(device).expand(1, 1, n_positions, dim)  # (B, H, P, dim)
    k_all = k.to(device).expand(1, 1, n_positions, dim)
    q_rot, k_rot = apply(q_all, k_all, cos, sin)
    return (q_rot[0, 0] @ k_rot[0, 0].T).float().cpu().numpy()  # (P, P)
