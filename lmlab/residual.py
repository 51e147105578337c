"""One forward pass that records the residual stream and everything written into it.

Hooks on each layer record the residual entering it, the head outputs entering
the attention output projection (o_proj / c_proj), the values, the attention
output and the MLP output. The logit lens (lmlab.lens) and the information
flow (lmlab.flow) are both read from this one trace, in float32.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from lmlab.errors import InputError
from lmlab.inputs import encode_text
from lmlab.loading import LoadedModel
from lmlab.model_parts import ModelParts, model_parts
from lmlab.probability import readable_tokens
from lmlab.turns import model_turn

MAX_TRACE_TOKENS = 64  # grids of positions × layers stay readable (and the lens affordable)


@dataclass
class Trace:
    """What one forward wrote into the residual stream (batch of one, float32, CPU)."""

    model_name: str
    token_ids: list[int]
    tokens: list[str]
    resid: torch.Tensor  # (L+1, T, C): before layer 0 (embeddings), then after each layer
    head_z: torch.Tensor  # (L, T, H, d): each head's output before o_proj / c_proj
    values: torch.Tensor  # (L, H_kv, T, d): values, as the heads read them
    attn_out: torch.Tensor  # (L, T, C): what attention added to the residual
    mlp_out: torch.Tensor  # (L, T, C): what the MLP added to the residual
    attentions: torch.Tensor | None  # (L, H, T, T): the model's own attention weights
    logits: torch.Tensor  # (T, V): the model's own output logits
    parts: ModelParts

    @property
    def n_layers(self) -> int:
        return self.attn_out.shape[0]

    @property
    def n_tokens(self) -> int:
        return len(self.tokens)


def _model_turn(loaded: LoadedModel, on_wait: Callable[[], None] | None):
    """This view's turn on the shared model (other users wait, with a notice)."""
    return model_turn(loaded, on_wait)


def encode_for_trace(loaded: LoadedModel, text: str, max_tokens: int = MAX_TRACE_TOKENS
                     ) -> torch.Tensor:
    return encode_text(loaded, text, what="The text", max_tokens=max_tokens,
                       empty="Please type some text to look at.")


def _first(value):
    return value[0] if isinstance(value, tuple) else value


def _hooks(parts: ModelParts, rec: dict[str, list]) -> list:
    handles = []
    for i, layer in enumerate(parts.layers):
        def resid_in(module, args, kwargs):
            hidden = args[0] if args else kwargs["hidden_states"]
            rec["resid"].append(hidden.detach()[0].float())
        handles.append(layer.register_forward_pre_hook(resid_in, with_kwargs=True))
        def attn_out(module, args, out):  # returns None: the output stays the model's
            rec["z"].append(args[0].detach()[0].float())
            rec["attn"].append(_first(out).detach()[0].float())
        handles.append(parts.attn_out(i).register_forward_hook(attn_out))
        handles.append(parts.value_source(i).register_forward_hook(
            lambda m, args, out: rec["v"].append(parts.values_from(out.detach())[0].float())))
        handles.append(parts.mlp(i).register_forward_hook(
            lambda m, args, out: rec["mlp"].append(_first(out).detach()[0].float())))
    handles.append(parts.layers[-1].register_forward_hook(
        lambda m, args, out: rec["last"].append(_first(out).detach()[0].float())))
    return handles


@torch.inference_mode()
def trace_ids(loaded: LoadedModel, ids: torch.Tensor, attentions: bool = True,
              on_wait: Callable[[], None] | None = None) -> Trace:
    """Run the model once on ids (1, T) and record its residual stream."""
    parts = model_parts(loaded)
    rec: dict[str, list] = {k: [] for k in ("resid", "z", "attn", "v", "mlp", "last")}
    with _model_turn(loaded, on_wait):
        handles = _hooks(parts, rec)
        try:
            if attentions:
                with loaded.eager_attention() as model:
                    out = model(ids.to(loaded.device), output_attentions=True)
            else:
                out = loaded.model(ids.to(loaded.device))
        finally:
            for handle in handles:
                handle.remove()
    n = parts.n_layers
    if any(len(rec[k]) != n for k in ("resid", "z", "attn", "v", "mlp")):
        raise InputError(f"{loaded.spec.name} ran its layers in a way these views cannot "
                         "follow; choose another model.")
    T = ids.shape[1]
    head_z = torch.stack(rec["z"]).reshape(n, T, parts.n_heads, parts.head_dim)  # (L, T, H, d)
    values = torch.stack(rec["v"])  # (L, T, H_kv*d)
    values = values.reshape(n, T, -1, parts.head_dim).permute(0, 2, 1, 3)  # (L, H_kv, T, d)
    weights = None
    if attentions:
        got = [a for a in (out.attentions or ()) if a is not None]
        if len(got) == n:
            weights = torch.stack([a[0].float() for a in got]).cpu()  # (L, H, T, T)
    id_list = ids[0].tolist()
    return Trace(model_name=loaded.spec.name, token_ids=id_list,
                 tokens=readable_tokens(loaded.tokenizer, id_list),
                 resid=torch.stack(rec["resid"] + rec["last"]).cpu(),
                 head_z=head_z.cpu(), values=values.cpu(),
                 attn_out=torch.stack(rec["attn"]).cpu(), mlp_out=torch.stack(rec["mlp"]).cpu(),
                 attentions=weights, logits=out.logits[0].float().cpu(), parts=parts)


def trace_text(loaded: LoadedModel, text: str, attentions: bool = True,
               on_wait: Callable[[], None] | None = None,
               max_tokens: int = MAX_TRACE_TOKENS) -> Trace:
    """The trace of a checked text (up to `max_tokens` tokens)."""
    return trace_ids(loaded, encode_for_trace(loaded, text, max_tokens), attentions, on_wait)
