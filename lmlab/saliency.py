"""Saliency: which input tokens the model's choice of one next token depends on.

f(x) is the logit of a chosen next token after the last input token, as a function
of the input token embeddings x (T, C); position embeddings (GPT-2) and rotary
positions (Llama) stay as they are.
  gradient × input:      a_t = Σ_c x_tc · ∂f/∂x_tc
  integrated gradients:  a_t = Σ_c (x − x')_tc · ∫_0^1 ∂f/∂x_tc(x' + α(x − x')) dα
                         (Sundararajan et al. 2017), the integral taken at m midpoints.
The baseline x' is the end-of-text token at every position but the first, which keeps
its own embedding (see baseline_ids). Integrated gradients are complete:
Σ_t a_t ≈ f(x) − f(x'), up to the m-step quadrature error, which the result reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from lmlab.errors import InputError
from lmlab.inputs import check_number
from lmlab.loading import LoadedModel
from lmlab.model_parts import model_parts
from lmlab.probability import readable_tokens
from lmlab.residual import MAX_TRACE_TOKENS, _model_turn, encode_for_trace

IG_CHUNK = 16  # interpolation points per backward pass


@dataclass
class Saliency:
    tokens: list[str]
    token_id: int
    token: str  # the next token whose logit is explained
    grad_x_input: list[float]  # (T,)
    integrated: list[float]  # (T,)
    f_input: float  # f(x): the logit with the real embeddings
    f_baseline: float  # f(x'): the logit with the baseline embeddings
    steps: int
    baseline_token: str = ""  # the token the baseline puts at every position but the first

    @property
    def completeness_gap(self) -> float:
        """|Σ IG − (f(x) − f(x'))| as a share of |f(x) − f(x')|."""
        change = self.f_input - self.f_baseline
        return abs(sum(self.integrated) - change) / max(abs(change), 1e-12)

    def rows(self) -> list[dict]:
        return [{"position": i, "token": t, "gradient × input": g, "integrated gradients": ig}
                for i, (t, g, ig) in enumerate(zip(self.tokens, self.grad_x_input, self.integrated))]


def path_points(steps: int) -> torch.Tensor:
    """The m midpoints α_k of (0, 1): (1/m) Σ_k g(α_k) ≈ ∫_0^1 g(α) dα."""
    return (torch.arange(steps, dtype=torch.float32) + 0.5) / steps


def baseline_ids(loaded: LoadedModel, ids: torch.Tensor) -> torch.Tensor:
    """(1, T) ids of the baseline: the end-of-text token everywhere but position 0.

    Not all-zero embeddings: RMSNorm and LayerNorm make the output jump right next to
    a zero input, so no quadrature of the path from 0 meets completeness. Position 0 keeps
    its token: models lean on the first token as an attention sink, and replacing it moves
    every later position far from anything the model has seen.
    """
    tok = loaded.tokenizer
    neutral = next((i for i in (tok.eos_token_id, tok.pad_token_id, tok.bos_token_id)
                    if i is not None), 0)
    base = torch.full_like(ids, int(neutral))
    base[:, 0] = ids[:, 0]
    return base


def _target_logit(model, embeds: torch.Tensor, token_id: int) -> torch.Tensor:
    """f for a batch of embeddings (B, T, C) -> (B,)."""
    return model(inputs_embeds=embeds).logits[:, -1, token_id].float()


def saliency_ids(loaded: LoadedModel, ids: torch.Tensor, token_id: int | None = None,
                 steps: int = 64, on_wait: Callable[[], None] | None = None,
                 on_progress: Callable[[int, int], None] | None = None) -> Saliency:
    parts = model_parts(loaded)
    steps = check_number(steps, name="Integration steps", low=1, high=256, integer=True)
    model = loaded.model
    vocab = parts.lm_head.weight.shape[0]
    with _model_turn(loaded, on_wait), torch.enable_grad():
        embed = model.get_input_embeddings()
        ids = ids.to(loaded.device)
        embeds = embed(ids).detach()  # (1, T, C)
        base_ids = baseline_ids(loaded, ids)
        base = embed(base_ids).detach()  # (1, T, C)
        with torch.no_grad():
            logits = model(inputs_embeds=embeds).logits[0, -1].float()
        token_id = int(logits.argmax()) if token_id is None else int(token_id)
        if not 0 <= token_id < vocab:
            raise InputError(f"The token id must be between 0 and {vocab - 1}; got {token_id}.")
        x = embeds.clone().requires_grad_(True)
        f_x = _target_logit(model, x, token_id)
        (grad,) = torch.autograd.grad(f_x.sum(), x)  # gradients of the input only, not weights
        gxi = (grad * x).sum(-1)[0].detach()  # (T,)
        total = torch.zeros_like(embeds)  # Σ_k ∂f/∂x at the interpolation points
        alphas = path_points(steps)
        for start in range(0, steps, IG_CHUNK):
            a = alphas[start:start + IG_CHUNK].to(embeds.device, embeds.dtype)
            points = (base + a[:, None, None] * (embeds - base)).requires_grad_(True)  # (k, T, C)
            (g,) = torch.autograd.grad(_target_logit(model, points, token_id).sum(), points)
            total += g.sum(0, keepdim=True).detach()
            if on_progress is not None:
                on_progress(min(start + IG_CHUNK, steps), steps)
        integrated = ((embeds - base) * total / steps).sum(-1)[0]  # (T,): the mean gradient
        with torch.no_grad():
            f_0 = float(_target_logit(model, base, token_id)[0])
    id_list = ids[0].tolist()
    return Saliency(tokens=readable_tokens(loaded.tokenizer, id_list), token_id=token_id,
                    token=loaded.tokenizer.decode([token_id], clean_up_tokenization_spaces=False),
                    grad_x_input=gxi.float().cpu().tolist(),
                    integrated=integrated.float().cpu().tolist(),
                    f_input=float(f_x[0].detach()), f_baseline=f_0, steps=steps,
                    baseline_token=readable_tokens(loaded.tokenizer, [int(base_ids[0, -1])])[0])


def saliency_text(loaded: LoadedModel, text: str, token_id: int | None = None, steps: int = 64,
                  on_wait: Callable[[], None] | None = None,
                  on_progress: Callable[[int, int], None] | None = None,
                  max_tokens: int = MAX_TRACE_TOKENS) -> Saliency:
    """Saliency of the next token after `text` (default: the model's own top-1)."""
    ids = encode_for_trace(loaded, text, max_tokens)
    return saliency_ids(loaded, ids, token_id, steps, on_wait, on_progress)
