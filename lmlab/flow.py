"""Information flow: what each head and MLP wrote into the residual stream, and where from.

Decomposition (exact, from the trace): the residual after layer l at position t is
    embeddings[t] + Σ_{l' ≤ l} ( Σ_h head_{l',h}[t] + attention bias_{l'} + mlp_{l'}[t] )
where head_{l,h}[t] = z_{l,h}[t] @ W_O[h], the head's slice of o_proj / c_proj.

Contribution to a prediction (direct logit attribution): the final norm is frozen at
the real run, i.e. its 1/rms (RMSNorm) or 1/σ (LayerNorm) is taken from the actual
final residual at t, so the logit of token v is a sum over components:
    logit_v = Σ_c (γ ⊙ centre(c) / s) · W_U[v]  +  constant (β · W_U[v] + lm_head bias)
where centre() subtracts the mean for LayerNorm and is the identity for RMSNorm.
With the scale frozen at the actual run the sum equals the model's logit exactly.

Graph edges: a head at (l, t) reads every earlier position s; what it carries from s is
A[h, t, s] · v_s @ W_O[h]. The weight of the edge s → t in layer l is the norm of that
vector summed over heads, as a share of the norms of everything summed at (l, t): the
residual coming in plus every source's vector (the norm-based measure of Kobayashi
et al., 2020). The residual edge t → t carries the share of the incoming residual.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from lmlab.errors import InputError
from lmlab.residual import Trace


@dataclass
class Components:
    """The residual stream at one position, split into what wrote it (float32)."""

    embeddings: dict[str, torch.Tensor]  # name -> (C,)
    heads: torch.Tensor  # (L, H, C)
    attn_bias: torch.Tensor  # (L, C) zeros when o_proj has no bias
    mlp: torch.Tensor  # (L, C)

    def residual_after(self, layer: int) -> torch.Tensor:
        """Sum of the components up to and including `layer` (-1 = embeddings only)."""
        total = sum(self.embeddings.values())
        n = layer + 1
        return total + self.heads[:n].sum((0, 1)) + self.attn_bias[:n].sum(0) + self.mlp[:n].sum(0)


@dataclass
class Contributions:
    """Each component's share of one token's logit at one position."""

    position: int
    token_id: int
    token: str
    embeddings: dict[str, float]
    heads: torch.Tensor  # (L, H)
    attn_bias: torch.Tensor  # (L,)
    mlp: torch.Tensor  # (L,)
    constant: float  # final-norm shift and lm_head bias
    logit: float  # the model's own logit for the token
    norm: str  # "rmsnorm" or "layernorm": which linearization was used

    @property
    def total(self) -> float:
        return (sum(self.embeddings.values()) + float(self.heads.sum()) + float(self.attn_bias.sum())
                + float(self.mlp.sum()) + self.constant)

    def rows(self) -> list[dict]:
        rows = [{"component": name, "layer": "", "head": "", "contribution": v}
                for name, v in self.embeddings.items()]
        for layer in range(self.heads.shape[0]):
            rows += [{"component": "head", "layer": layer, "head": h, "contribution": float(v)}
                     for h, v in enumerate(self.heads[layer])]
            if float(self.attn_bias[layer]) != 0.0:
                rows.append({"component": "attention bias", "layer": layer, "head": "",
                             "contribution": float(self.attn_bias[layer])})
            rows.append({"component": "MLP", "layer": layer, "head": "",
                         "contribution": float(self.mlp[layer])})
        rows.append({"component": "final norm shift + unembedding bias", "layer": "",
                     "head": "", "contribution": self.constant})
        return rows


def check_position(trace: Trace, position: int) -> int:
    if not isinstance(position, int) or not 0 <= position < trace.n_tokens:
        raise InputError(f"Position must be between 0 and {trace.n_tokens - 1}; got {position}.")
    return position


@torch.inference_mode()
def components_at(trace: Trace, position: int) -> Components:
    parts = trace.parts
    position = check_position(trace, position)
    device = parts.lm_head.weight.device
    ids = torch.tensor([trace.token_ids])
    embeddings = {k: v[position].cpu() for k, v in parts.embeddings(ids).items()}
    heads, biases = [], []
    for layer in range(trace.n_layers):
        weight = parts.head_out_weight(layer)  # (H, d, C)
        z = trace.head_z[layer, position].to(device)  # (H, d)
        heads.append(torch.einsum("hd,hdc->hc", z, weight).cpu())  # (H, C)
        bias = parts.head_out_bias(layer)
        biases.append(bias.cpu() if bias is not None else torch.zeros(weight.shape[-1]))
    return Components(embeddings, torch.stack(heads), torch.stack(biases),
                      trace.mlp_out[:, position].clone())


@torch.inference_mode()
def contributions(trace: Trace, position: int, token_id: int | None = None,
                  decode=str) -> Contributions:
    """Each component's share of the logit of `token_id` (default: the model's top-1) at t."""
    parts = trace.parts
    comps = components_at(trace, position)
    vocab = trace.logits.shape[-1]
    token_id = int(trace.logits[position].argmax()) if token_id is None else int(token_id)
    if not 0 <= token_id < vocab:
        raise InputError(f"The token id must be between 0 and {vocab - 1}; got {token_id}.")
    scale, kind = parts.norm_scale(trace.resid[-1, position])
    gamma = getattr(parts.final_norm, "weight", None)
    gamma = torch.ones(trace.resid.shape[-1]) if gamma is None else gamma.detach().float().cpu()
    w_u = parts.lm_head.weight[token_id].detach().float().cpu()  # (C,)
    direction = gamma * w_u * float(scale)  # (C,)

    def read(vectors: torch.Tensor) -> torch.Tensor:
        if kind == "layernorm":  # the norm subtracts each vector's mean: linear, so per part
            vectors = vectors - vectors.mean(-1, keepdim=True)
        return vectors @ direction

    constant = 0.0
    beta = getattr(parts.final_norm, "bias", None)
    if beta is not None:
        constant += float(beta.detach().float().cpu() @ w_u)
    head_bias = getattr(parts.lm_head, "bias", None)
    if head_bias is not None:
        constant += float(head_bias[token_id])
    return Contributions(
        position=position, token_id=token_id, token=decode(token_id),
        embeddings={k: float(read(v)) for k, v in comps.embeddings.items()},
        heads=read(comps.heads), attn_bias=read(comps.attn_bias), mlp=read(comps.mlp),
        constant=constant, logit=float(trace.logits[position, token_id]), norm=kind)


@dataclass
class FlowGraph:
    """Edge weights of the attention and residual paths (norm shares, 0..1)."""

    attention: torch.Tensor  # (L, T, T): [l, t, s] = share of (l, t) carried from s
    residual: torch.Tensor  # (L, T): share of (l, t) that is the incoming residual


@torch.inference_mode()
def flow_graph(trace: Trace) -> FlowGraph:
    if trace.attentions is None:
        raise InputError(f"{trace.model_name} did not return attention weights, which the flow "
                         "graph needs; choose another model.")
    parts = trace.parts
    device = parts.lm_head.weight.device
    shares, residual = [], []
    for layer in range(trace.n_layers):
        weight = parts.head_out_weight(layer)  # (H, d, C)
        values = trace.values[layer].to(device)  # (H_kv, T, d)
        values = values.repeat_interleave(parts.n_heads // values.shape[0], dim=0)  # (H, T, d)
        written = torch.einsum("hsd,hdc->hsc", values, weight)  # (H, T, C) what s offers via h
        # ‖Σ_h A[h,t,s] u[h,s]‖² = Σ_{h,g} A[h,t,s] A[g,t,s] <u[h,s], u[g,s]>: a Gram matrix
        # per source instead of a (T, T, C) tensor of vectors.
        gram = torch.einsum("hsc,gsc->shg", written, written)  # (T, H, H)
        weights = trace.attentions[layer].to(device)  # (H, T, T)
        squared = torch.einsum("hts,gts,shg->ts", weights, weights, gram)
        norms = squared.clamp_min(0).sqrt().cpu()  # (T, T) ‖vector from s to t‖
        incoming = trace.resid[layer].norm(dim=-1)  # (T,)
        total = norms.sum(-1) + incoming  # (T,)
        shares.append(norms / total[:, None])
        residual.append(incoming / total)
    return FlowGraph(torch.stack(shares), torch.stack(residual))


def traced_edges(graph: FlowGraph, position: int, threshold: float) -> list[tuple[int, int, int, float]]:
    """Edges (layer, source, target, weight) ≥ threshold on a path that reaches `position`
    after the last layer, found backwards from the top."""
    L, T, _ = graph.attention.shape
    alive = {position}
    edges = []
    for layer in range(L - 1, -1, -1):
        reached = set()
        for t in sorted(alive):
            for s in range(t + 1):
                w = float(graph.attention[layer, t, s])
                if s == t:  # the residual and the head's look at its own position
                    w += float(graph.residual[layer, t])
                if w >= threshold:
                    edges.append((layer, s, t, w))
                    reached.add(s)
        alive = reached
    return edges
