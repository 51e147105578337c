"""Knock out attention heads and watch the model's predictions change.

A head's output is its slice of the tensor that enters the attention output
projection (o_proj in Llama, c_proj in GPT-2, attention.output.dense in BERT):
zeroing that slice with a forward pre-hook removes exactly that head. Knocking
out a whole layer zeroes the projection's output, so attention adds nothing to
the residual stream there. The hooks live only inside `ablated(...)`.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import Callable

import torch

from lmlab.errors import InputError
from lmlab.loading import LoadedModel
from lmlab.probability import (encode_for_scoring, entropy_bits, next_token_logits,
                               readable_tokens, score_text, softmax_with_temperature)
from lmlab.turns import model_turn

ABLATION_MAX_TOKENS = 256
_PROJECTION_SUFFIXES = (".self_attn.o_proj", ".attn.c_proj", ".attention.output.dense")


@dataclass(frozen=True)
class Ablation:
    layer: int
    head: int | None = None  # None: the whole layer's attention

    def describe(self) -> str:
        where = f"layer {self.layer}"
        return f"head {self.head} of {where}" if self.head is not None else f"all attention in {where}"


def output_projections(model) -> list[torch.nn.Module]:
    """The attention output projection of every layer, in order."""
    found = [module for name, module in model.named_modules()
             if name.endswith(_PROJECTION_SUFFIXES) and "crossattention" not in name]
    if not found:
        raise InputError("Ablation is not available for this model's architecture; "
                         "pick a Llama-, GPT-2- or BERT-style model.")
    return found


def n_heads(model) -> int:
    return int(model.config.num_attention_heads)


def check_ablation(model, ablation: Ablation) -> None:
    layers = len(output_projections(model))
    if not 0 <= ablation.layer < layers:
        raise InputError(f"Layer must be between 0 and {layers - 1}; got {ablation.layer}.")
    heads = n_heads(model)
    if ablation.head is not None and not 0 <= ablation.head < heads:
        raise InputError(f"Head must be between 0 and {heads - 1}; got {ablation.head}.")


def _zero_head(head: int, heads: int):
    def hook(module, args):
        merged = args[0]  # (B, T, H * d): heads side by side
        d = merged.shape[-1] // heads
        merged = merged.clone()
        merged[..., head * d:(head + 1) * d] = 0
        return (merged, *args[1:])
    return hook


def _zero_output(module, args, output):
    return torch.zeros_like(output)


@contextlib.contextmanager
def ablated(loaded: LoadedModel, ablation: Ablation):
    """Inside this block the model runs with the head (or layer) knocked out."""
    model = loaded.model
    check_ablation(model, ablation)
    projection = output_projections(model)[ablation.layer]
    with model_turn(loaded):  # nobody else may run the model while it is altered
        if ablation.head is None:
            handle = projection.register_forward_hook(_zero_output)
        else:
            handle = projection.register_forward_pre_hook(_zero_head(ablation.head, n_heads(model)))
        try:
            yield model
        finally:
            handle.remove()


@dataclass
class Prediction:
    """The next-token distribution and the text's perplexity under one model state."""

    top: list[tuple[str, float]]  # most likely next tokens
    probs: torch.Tensor  # (V,) full next-token distribution
    perplexity: float
    entropy_bits: float


@dataclass
class AblationResult:
    ablation: Ablation
    n_tokens: int
    base: Prediction
    ablated: Prediction
    kl_bits: float  # KL(base || ablated) of the next-token distribution
    top_tokens: list[str]  # union of both top lists, base order first
    base_probs: list[float]  # P(token) for top_tokens, before
    ablated_probs: list[float]  # and after

    @property
    def perplexity_change(self) -> float:
        return self.ablated.perplexity - self.base.perplexity


def _predict(loaded: LoadedModel, text: str, ids: torch.Tensor, top_k: int) -> Prediction:
    probs = softmax_with_temperature(next_token_logits(loaded, ids), 1.0)  # (V,)
    score = score_text(loaded, text, top_k=1, max_tokens=ABLATION_MAX_TOKENS)
    values, indices = probs.topk(top_k)
    names = readable_tokens(loaded.tokenizer, indices.tolist())
    return Prediction(list(zip(names, values.tolist())), probs, score.perplexity, entropy_bits(probs))


def kl_bits(p: torch.Tensor, q: torch.Tensor) -> float:
    """KL(p || q) in bits; q is clamped away from 0 so a vanished token reads as large, not inf."""
    mask = p > 0
    return float((p[mask] * (p[mask].log() - q[mask].clamp_min(1e-30).log())).sum() / math.log(2))


def run_ablation(loaded: LoadedModel, text: str, ablation: Ablation, top_k: int = 10) -> AblationResult:
    if loaded.spec.kind != "causal-lm":
        raise InputError("Ablation compares next-token predictions, so it needs a text-generation "
                         "model; pick a decoder such as SmolLM2.")
    ids = encode_for_scoring(loaded, text, ABLATION_MAX_TOKENS)  # (1, T)
    check_ablation(loaded.model, ablation)
    with model_turn(loaded):
        base = _predict(loaded, text, ids, top_k)
        with ablated(loaded, ablation):
            after = _predict(loaded, text, ids, top_k)
    token_ids: list[int] = []
    for prediction in (base, after):
        for i in prediction.probs.topk(top_k).indices.tolist():
            if i not in token_ids:
                token_ids.append(i)
    tokens = readable_tokens(loaded.tokenizer, token_ids)
    return AblationResult(
        ablation, int(ids.shape[1]), base, after, kl_bits(base.probs, after.probs), tokens,
        base.probs[token_ids].tolist(), after.probs[token_ids].tolist())


def head_sweep(loaded: LoadedModel, text: str, layer: int,
               progress: Callable[[float], None] | None = None) -> tuple[float, list[float]]:
    """The text's perplexity with each head of `layer` knocked out in turn.

    Returns (perplexity with nothing removed, [perplexity without head h for each h]).
    """
    encode_for_scoring(loaded, text, ABLATION_MAX_TOKENS)
    check_ablation(loaded.model, Ablation(layer))
    heads = n_heads(loaded.model)
    with model_turn(loaded):
        base = score_text(loaded, text, top_k=1, max_tokens=ABLATION_MAX_TOKENS).perplexity
        without = []
        for head in range(heads):
            with ablated(loaded, Ablation(layer, head)):
                without.append(score_text(loaded, text, top_k=1,
                                          max_tokens=ABLATION_MAX_TOKENS).perplexity)
            if progress:
                progress((head + 1) / heads)
    return base, without
