"""Saliency: which input tokens the model's choice of one next token depends on.

f(x) is the logit of a chosen next token after the last input token, as a function
of the input token embeddings x (T, C); position embeddings (GPT-2) and rotary
positions (Llama) stay as they are.
  gradient × input:      a_t = Σ_c x_tc · ∂f/∂x_tc
  integrated gradients:  a_t = Σ_c x_tc · ∫_0^1 ∂f/∂x_tc(α x) dα
                         (zero-embedding baseline, Sundararajan et al. 2017), the integral
                         taken on m points packed towards the baseline (see path_points)
Integrated gradients are complete: Σ_t a_t ≈ f(x) − f(0), up to the m-step quadrature
error, which the result reports.
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
PATH_POWER = 3.0


@dataclass
class Saliency:
    tokens: list[str]
    token_id: int
    token: str  # the next token whose logit is explained
    grad_x_input: list[float]  # (T,)
    integrated: list[float]  # (T,)
    f_input: float  # f(x): the logit with the real embeddings
    f_baseline: float  # f(0): the logit with all token embeddings zero
    steps: int

    @property
    def completeness_gap(self) -> float:
        """|Σ IG − (f(x) − f(0))| as a share of |f(x) − f(0)|."""
        change = self.f_input - self.f_baseline
        return abs(sum(self.integrated) - change) / max(abs(change), 1e-12)

    def rows(self) -> list[dict]:
        return [{"position": i, "token": t, "gradient × input": g, "integrated gradients": ig}
                for i, (t, g, ig) in enumerate(zip(self.tokens, self.grad_x_input, self.integrated))]


def path_points(steps: int, power: float = PATH_POWER) -> tuple[torch.Tensor, torch.Tensor]:
    """Points α_k on the straight path and their weights, Σ w_k g(α_k) ≈ ∫_0^1 g(α) dα.

    α = u^p with u at the m midpoints of (0, 1), weight p·u^(p−1)/m: the same integral,
    with the points packed near the zero baseline, where an RMSNorm model's output jumps
    from 0 (everything is 0 at the baseline) to nearly its full value within a few percent
    of the path; evenly spaced points would step over that jump.
    """
    u = (torch.arange(steps, dtype=torch.float32) + 0.5) / steps
    return u ** power, power * u ** (power - 1) / steps


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
        embeds = model.get_input_embeddings()(ids.to(loaded.device)).detach()  # (1, T, C)
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
        alphas, weights = path_points(steps)
        for start in range(0, steps, IG_CHUNK):
            a = alphas[start:start + IG_CHUNK].to(embeds.device, embeds.dtype)
            w = weights[start:start + IG_CHUNK].to(embeds.device, embeds.dtype)
            points = (a[:, None, None] * embeds).requires_grad_(True)  # (k, T, C)
            (g,) = torch.autograd.grad(_target_logit(model, points, token_id).sum(), points)
            total += (w[:, None, None] * g).sum(0, keepdim=True).detach()
            if on_progress is not None:
                on_progress(min(start + IG_CHUNK, steps), steps)
        integrated = (embeds * total).sum(-1)[0]  # (T,)
        with torch.no_grad():
            f_0 = float(_target_logit(model, torch.zeros_like(embeds), token_id)[0])
    id_list = ids[0].tolist()
    return Saliency(tokens=readable_tokens(loaded.tokenizer, id_list), token_id=token_id,
                    token=loaded.tokenizer.decode([token_id], clean_up_tokenization_spaces=False),
                    grad_x_input=gxi.float().cpu().tolist(),
                    integrated=integrated.float().cpu().tolist(),
                    f_input=float(f_x[0].detach()), f_baseline=f_0, steps=steps)


def saliency_text(loaded: LoadedModel, text: str, token_id: int | None = None, steps: int = 64,
                  on_wait: Callable[[], None] | None = None,
                  on_progress: Callable[[int, int], None] | None = None,
                  max_tokens: int = MAX_TRACE_TOKENS) -> Saliency:
    """Saliency of the next token after `text` (default: the model's own top-1)."""
    ids = encode_for_trace(loaded, text, max_tokens)
    return saliency_ids(loaded, ids, token_id, steps, on_wait, on_progress)
