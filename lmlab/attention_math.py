"""Attention math on the model's own numbers.

The q, k and v of every layer are captured exactly as the model hands them to
its attention function (through the transformers attention interface): after
rotary position embedding for Llama-like models (SmolLM2), after the c_attn
split for GPT-2, the query/key/value projections for BERT. From them LM Lab
recomputes softmax(q·kᵀ / sqrt(d_k) + mask) v for every head, and opens one
cell (query i, key j) all the way down.
"""

from __future__ import annotations

import contextvars
import math
import sys
from dataclasses import dataclass

import torch

from lmlab import inputs
from lmlab.errors import InputError
from lmlab.loading import LoadedModel
from lmlab.probability import readable_tokens
from lmlab.turns import model_turn

MAX_MATH_TOKENS = 64  # the math tables show T×T numbers per head: keep them readable
CAPTURE_IMPLEMENTATION = "lmlab_capture"

# The list that the capturing attention function appends to during one forward.
_recording: contextvars.ContextVar[list | None] = contextvars.ContextVar("lmlab_qkv", default=None)


@dataclass
class LayerQKV:
    """One layer's attention inputs, as the model used them (batch of one)."""

    q: torch.Tensor  # (H, T, d): query heads, after rotary embedding where the model applies it
    k: torch.Tensor  # (H_kv, T, d): key heads; H_kv < H with grouped-query attention
    v: torch.Tensor  # (H_kv, T, d)
    scaling: float  # what the model multiplies q·k by (1/sqrt(d_k))
    causal: bool
    model_weights: torch.Tensor | None = None  # (H, T, T) the weights the model's own code returned

    @property
    def n_heads(self) -> int:
        return self.q.shape[0]

    @property
    def n_kv_heads(self) -> int:
        return self.k.shape[0]

    @property
    def head_dim(self) -> int:
        return self.q.shape[-1]

    def kv_for_heads(self) -> tuple[torch.Tensor, torch.Tensor]:
        """k and v repeated so query head h reads kv head h // (H / H_kv), as the model does."""
        n_rep = self.n_heads // self.n_kv_heads
        return (self.k.repeat_interleave(n_rep, dim=0),  # (H, T, d)
                self.v.repeat_interleave(n_rep, dim=0))


@dataclass
class Capture:
    """q/k/v of every layer for one text."""

    model_name: str
    token_ids: list[int]
    tokens: list[str]  # readable token texts
    layers: list[LayerQKV]

    @property
    def n_layers(self) -> int:
        return len(self.layers)

    @property
    def n_tokens(self) -> int:
        return len(self.tokens)


def _capturing_attention(module, query, key, value, attention_mask, **kwargs):
    """Run the model's own eager attention unchanged, recording its inputs and weights."""
    eager = sys.modules[type(module).__module__].eager_attention_forward
    output, weights = eager(module, query, key, value, attention_mask, **kwargs)
    record = _recording.get()
    if record is not None:
        record.append(LayerQKV(
            q=query[0].detach().float().cpu(), k=key[0].detach().float().cpu(),
            v=value[0].detach().float().cpu(),
            scaling=float(kwargs.get("scaling") or query.shape[-1] ** -0.5),
            causal=bool(getattr(module, "is_causal", False)),
            model_weights=None if weights is None else weights[0].detach().float().cpu()))
    return output, weights


def _register_capture() -> None:
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, eager_mask

    if CAPTURE_IMPLEMENTATION not in AttentionInterface().valid_keys():  # the public registry view
        AttentionInterface.register(CAPTURE_IMPLEMENTATION, _capturing_attention)
        AttentionMaskInterface.register(CAPTURE_IMPLEMENTATION, eager_mask)  # the eager mask


def encode_for_math(loaded: LoadedModel, text: str, max_tokens: int = MAX_MATH_TOKENS) -> torch.Tensor:
    """Token ids (1, T) of `text`, or one clear sentence about what is wrong."""
    return inputs.encode_text(loaded, text, max_tokens=max_tokens,
                              empty="Please enter some text to look at.",
                              why="attention math shows at most {limit:,} tokens")


@torch.inference_mode()
def capture_qkv(loaded: LoadedModel, input_ids: torch.Tensor) -> list[LayerQKV]:
    """One forward pass recording every self-attention layer's q, k, v."""
    _register_capture()
    model = loaded.model
    with model_turn(loaded):
        before = model.config._attn_implementation
        record: list[LayerQKV] = []
        token = _recording.set(record)
        try:
            model.set_attn_implementation(CAPTURE_IMPLEMENTATION)
            # The base model (no LM head): attention is all we need from this pass.
            getattr(model, "base_model", model)(input_ids.to(loaded.device), use_cache=False)
        finally:
            _recording.reset(token)
            model.set_attn_implementation(before)
    if not record:
        raise InputError(f"{loaded.spec.name} does not expose its attention inputs; "
                         "pick another model.")
    return record


def capture_text(loaded: LoadedModel, text: str, max_tokens: int = MAX_MATH_TOKENS) -> Capture:
    ids = encode_for_math(loaded, text, max_tokens)
    layers = capture_qkv(loaded, ids)
    id_list = ids[0].tolist()
    return Capture(loaded.spec.name, id_list, readable_tokens(loaded.tokenizer, id_list), layers)


def causal_mask(n: int) -> torch.Tensor:
    """(T, T) additive mask: 0 where query i may see key j (j <= i), -inf above the diagonal."""
    return torch.full((n, n), float("-inf")).triu(1)


def mask_for(layer: LayerQKV) -> torch.Tensor:
    n = layer.q.shape[1]
    return causal_mask(n) if layer.causal else torch.zeros(n, n)


def recompute_attention(layer: LayerQKV) -> tuple[torch.Tensor, torch.Tensor]:
    """softmax(q kᵀ / sqrt(d_k) + mask) and its weighted sum of v, for every head.

    Returns (weights (H, T, T), head outputs (H, T, d)).
    """
    k, v = layer.kv_for_heads()  # (H, T, d)
    scores = layer.q @ k.transpose(-1, -2) * layer.scaling  # (H, T, T)
    weights = torch.softmax(scores + mask_for(layer), dim=-1)  # rows sum to 1
    return weights, weights @ v  # (H, T, T), (H, T, d)


def max_recompute_error(layer: LayerQKV) -> float:
    """Largest |recomputed - model's own| attention weight in this layer."""
    if layer.model_weights is None:
        return float("nan")
    return float((recompute_attention(layer)[0] - layer.model_weights).abs().max())


def check_cell(capture: Capture, layer: int, head: int, query: int, key: int) -> None:
    """One clear sentence for any index outside the text or the model."""
    checks = [("Layer", layer, capture.n_layers), ("Head", head, capture.layers[0].n_heads),
              ("Query position", query, capture.n_tokens), ("Key position", key, capture.n_tokens)]
    for name, value, size in checks:
        if not 0 <= int(value) < size:
            raise InputError(f"{name} must be between 0 and {size - 1}; got {value}.")


@dataclass
class CellMath:
    """Every step from q and k to one attention weight and the head's output."""

    layer: int
    head: int
    kv_head: int  # the key/value head this query head shares (grouped-query attention)
    query: int
    key: int
    tokens: list[str]
    q: list[float]  # (d,) query vector of token `query`
    k: list[float]  # (d,) key vector of token `key`
    products: list[float]  # (d,) q_n * k_n; they sum to q·k
    dot: float  # q·k
    d_k: int
    scale: float  # the model's factor, 1/sqrt(d_k)
    scaled: float  # q·k / sqrt(d_k)
    mask: float  # 0 or -inf
    row_dots: list[float]  # (T,) q·k_j for every key j
    row_scaled: list[float]  # (T,)
    row_mask: list[float]  # (T,)
    row_weights: list[float]  # (T,) softmax row; sums to 1
    weight: float  # row_weights[key]
    values: list[list[float]]  # (T, d) value vectors
    output: list[float]  # (d,) sum_j weight_j * v_j


def cell_math(capture: Capture, layer: int, head: int, query: int, key: int) -> CellMath:
    check_cell(capture, layer, head, query, key)
    qkv = capture.layers[layer]
    n_rep = qkv.n_heads // qkv.n_kv_heads
    kv_head = head // n_rep
    q = qkv.q[head, query]  # (d,)
    keys = qkv.k[kv_head]  # (T, d)
    values = qkv.v[kv_head]  # (T, d)
    row_dots = keys @ q  # (T,)
    row_scaled = row_dots * qkv.scaling
    row_mask = mask_for(qkv)[query]  # (T,)
    row_weights = torch.softmax(row_scaled + row_mask, dim=-1)
    output = row_weights @ values  # (d,)
    products = q * keys[key]
    return CellMath(
        layer=layer, head=head, kv_head=kv_head, query=query, key=key, tokens=capture.tokens,
        q=q.tolist(), k=keys[key].tolist(), products=products.tolist(),
        dot=float(row_dots[key]), d_k=qkv.head_dim, scale=qkv.scaling,
        scaled=float(row_scaled[key]), mask=float(row_mask[key]), row_dots=row_dots.tolist(),
        row_scaled=row_scaled.tolist(), row_mask=row_mask.tolist(),
        row_weights=row_weights.tolist(), weight=float(row_weights[key]),
        values=values.tolist(), output=output.tolist())


def sqrt_dk_matches(cell: CellMath) -> bool:
    """True when the model's scale is exactly 1/sqrt(d_k) (GPT-2 can scale by layer too)."""
    return math.isclose(cell.scale, cell.d_k ** -0.5, rel_tol=1e-6)
