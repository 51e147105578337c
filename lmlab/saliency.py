"""Saliency: which input tokens the model's choice of one next token depends on.

f(x) is the logit of a chosen next token after the last input token, as a function
of the input token embeddings x (T, C); position embeddings (GPT-2) and rotary
positions (Llama) stay as they are.
  gradient × input:      a_t = Σ_c x_tc · ∂f/∂x_tc
  integrated gradients:  a_t = Σ_c (x − x')_tc · ∫_0^1 ∂f/∂x_tc(x' + α(x − x')) dα
                         (Sundararajan et al. 2017).
The baseline x' is the end-of-text token at every position but the first, which keeps
its own embedding (see baseline_ids). Integrated gradients are complete:
Σ_t a_t = f(x) − f(x') exactly for the true integral.

The integral is taken with the trapezoid rule on points α_0 = 0 < … < α_n = 1, refined
where it is off. Each point gives f and its gradient, so on each segment the trapezoid
estimate of ∫ df/dα can be checked against the exact f(α_{i+1}) − f(α_i); segments that
disagree most are halved (a batch at a time) until Σ_t a_t is within 2% of f(x) − f(x')
or 4 × the asked steps are spent. A path that is rough on one stretch (on SmolLM2, "The
Eiffel Tower is in the city of" between α ≈ 0.6 and 0.9) then gets its points there
instead of everywhere; the result reports the segments used and the gap that is left.
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
from lmlab.token_text import token_text

IG_CHUNK = 16  # path points per backward pass
IG_TOLERANCE = 0.02  # refine until Σ IG is this close to f(x) − f(x'), as a share
IG_ABS_TOLERANCE = 1e-4  # ... or this close in logits, when f(x) − f(x') is ~0
IG_MAX_FACTOR = 4  # at most this many times the asked segments


@dataclass
class Saliency:
    tokens: list[str]
    token_id: int
    token: str  # the next token whose logit is explained
    grad_x_input: list[float]  # (T,)
    integrated: list[float]  # (T,)
    f_input: float  # f(x): the logit with the real embeddings
    f_baseline: float  # f(x'): the logit with the baseline embeddings
    steps: int  # path segments used (the asked steps, plus those refined)
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
    """The n + 1 evenly spaced points 0 = α_0 < … < α_n = 1 the refinement starts from."""
    return torch.linspace(0.0, 1.0, steps + 1)


def trapezoid_weights(alphas: torch.Tensor) -> torch.Tensor:
    """(n+1,) weights w with Σ_i w_i g(α_i) the trapezoid rule for ∫_0^1 g on sorted α."""
    widths = alphas[1:] - alphas[:-1]  # (n,)
    weights = torch.zeros_like(alphas)
    weights[:-1] += widths / 2
    weights[1:] += widths / 2
    return weights


def segment_errors(alphas: torch.Tensor, f: torch.Tensor, slope: torch.Tensor) -> torch.Tensor:
    """(n,) trapezoid estimate of ∫ df/dα on each segment minus its exact f difference.

    alphas, f, slope: (n+1,) sorted points, f there, and df/dα = (x − x') · ∇f there."""
    widths = alphas[1:] - alphas[:-1]
    return widths * (slope[1:] + slope[:-1]) / 2 - (f[1:] - f[:-1])


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


class _Path:
    """f, df/dα and the gradient at points of the straight path from the baseline to x."""

    def __init__(self, model, base: torch.Tensor, embeds: torch.Tensor, token_id: int):
        self.model, self.base, self.token_id = model, base, token_id
        self.embeds = embeds  # (1, T, C)
        self.delta = embeds - base  # (1, T, C)
        self.alphas: list[float] = []
        self.f: list[float] = []
        self.slope: list[float] = []
        self.grads: list[torch.Tensor] = []  # each (T, C)

    def add(self, alphas: list[float]) -> None:
        for start in range(0, len(alphas), IG_CHUNK):
            a = torch.tensor(alphas[start:start + IG_CHUNK], dtype=self.base.dtype,
                             device=self.base.device)
            a3 = a[:, None, None]
            # α = 1 is the real input to the last bit (x' + (x − x') can round off x).
            points = torch.where(a3 == 1, self.embeds, self.base + a3 * self.delta)  # (k, T, C)
            points.requires_grad_(True)
            f = _target_logit(self.model, points, self.token_id)  # (k,)
            (g,) = torch.autograd.grad(f.sum(), points)  # (k, T, C)
            self.alphas += a.tolist()
            self.f += f.detach().tolist()
            self.slope += (g * self.delta).sum((1, 2)).detach().float().tolist()
            self.grads += list(g.detach())

    def sorted(self):
        order = sorted(range(len(self.alphas)), key=self.alphas.__getitem__)
        pick = lambda xs: torch.tensor([xs[i] for i in order], dtype=torch.float64)  # noqa: E731
        return order, pick(self.alphas), pick(self.f), pick(self.slope)


def integrate(path: _Path, steps: int, on_progress=None) -> tuple[torch.Tensor, int]:
    """(T,) integrated gradients and the segments used (see the module docstring)."""
    budget = IG_MAX_FACTOR * steps + 1
    path.add(path_points(steps).tolist())
    while True:
        order, alphas, f, slope = path.sorted()
        errors = segment_errors(alphas, f, slope)  # (n,)
        change = float(f[-1] - f[0])
        gap = abs(float(errors.sum()))
        if on_progress is not None:
            on_progress(len(order), budget)
        room = budget - len(order)
        if gap <= max(IG_TOLERANCE * abs(change), IG_ABS_TOLERANCE) or room <= 0:
            break
        worst = errors.abs().argsort(descending=True)[:min(IG_CHUNK, room)]  # segment i: α_i..α_i+1
        path.add([float((alphas[i] + alphas[i + 1]) / 2) for i in worst.tolist()])
    weights = trapezoid_weights(alphas).to(path.delta.dtype)  # (n+1,)
    grads = torch.stack([path.grads[i] for i in order])  # (n+1, T, C)
    mean_grad = (weights[:, None, None].to(grads.device) * grads).sum(0)  # (T, C)
    return (path.delta[0] * mean_grad).sum(-1), len(order) - 1


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
        if token_id is None:  # the model's own top-1; the path computes f(x) itself
            with torch.no_grad():
                token_id = int(model(inputs_embeds=embeds).logits[0, -1].argmax())
        token_id = int(token_id)
        if not 0 <= token_id < vocab:
            raise InputError(f"The token id must be between 0 and {vocab - 1}; got {token_id}.")
        path = _Path(model, base, embeds, token_id)
        integrated, segments = integrate(path, steps, on_progress)  # (T,)
        at_x = path.alphas.index(1.0)  # the path's end is the real input: its gradient and f
        gxi = (path.grads[at_x] * embeds[0]).sum(-1)  # (T,)
        f_x, f_0 = path.f[at_x], path.f[path.alphas.index(0.0)]
    id_list = ids[0].tolist()
    return Saliency(tokens=readable_tokens(loaded.tokenizer, id_list), token_id=token_id,
                    token=token_text(loaded.tokenizer, token_id),
                    grad_x_input=gxi.float().cpu().tolist(),
                    integrated=integrated.float().cpu().tolist(),
                    f_input=float(f_x), f_baseline=float(f_0), steps=segments,
                    baseline_token=readable_tokens(loaded.tokenizer, [int(base_ids[0, -1])])[0])


def saliency_text(loaded: LoadedModel, text: str, token_id: int | None = None, steps: int = 64,
                  on_wait: Callable[[], None] | None = None,
                  on_progress: Callable[[int, int], None] | None = None,
                  max_tokens: int = MAX_TRACE_TOKENS) -> Saliency:
    """Saliency of the next token after `text` (default: the model's own top-1)."""
    ids = encode_for_trace(loaded, text, max_tokens)
    return saliency_ids(loaded, ids, token_id, steps, on_wait, on_progress)
