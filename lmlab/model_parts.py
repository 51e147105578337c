"""Where the residual stream lives in a causal LM: the parts the interpretability views read.

Two layouts are supported, which cover the causal LMs in the catalog:
  Llama-style (SmolLM2, Llama, Mistral, Qwen2): model.model.layers[i].self_attn.o_proj,
      .mlp, final norm model.model.norm (RMSNorm), unembedding model.lm_head;
  GPT-2-style (GPT-2, DistilGPT-2): model.transformer.h[i].attn.c_proj (a Conv1D),
      .mlp, final norm model.transformer.ln_f (LayerNorm), unembedding model.lm_head.
In both, a layer adds exactly two things to the residual stream: the attention
output (o_proj / c_proj of the concatenated heads) and the MLP output. Models
that normalize those outputs again before adding them (Gemma's extra norms) break
that sum, so they are refused with one sentence rather than decomposed wrongly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from lmlab.errors import InputError
from lmlab.loading import LoadedModel

_EXTRA_NORMS = ("post_feedforward_layernorm", "pre_feedforward_layernorm")


@dataclass
class ModelParts:
    """Handles on one causal LM's residual-stream pieces (modules, not copies)."""

    family: str  # "llama" or "gpt2"
    model: Any
    layers: list  # decoder layers, in order
    final_norm: Any
    lm_head: Any
    n_heads: int
    head_dim: int

    @property
    def n_layers(self) -> int:
        return len(self.layers)

    def attn_out(self, layer: int):
        """The linear map that turns concatenated head outputs into the attention output."""
        block = self.layers[layer]
        return block.self_attn.o_proj if self.family == "llama" else block.attn.c_proj

    def mlp(self, layer: int):
        return self.layers[layer].mlp

    def value_source(self, layer: int):
        """The module whose output holds the values (v_proj, or GPT-2's fused c_attn)."""
        block = self.layers[layer]
        return block.self_attn.v_proj if self.family == "llama" else block.attn.c_attn

    def values_from(self, output: torch.Tensor) -> torch.Tensor:
        """(B, T, H_kv*d) values from value_source's output."""
        if self.family == "gpt2":
            return output.split(output.shape[-1] // 3, dim=-1)[2]
        return output

    def head_out_weight(self, layer: int) -> torch.Tensor:
        """W_O per head, float32 (H, d, C): head h writes z_h @ W[h] to the residual."""
        proj = self.attn_out(layer)
        if self.family == "gpt2":  # Conv1D: y = x @ W + b with W (C_in, C_out)
            weight = proj.weight
        else:  # nn.Linear: y = x @ W.T + b with W (C_out, C_in)
            weight = proj.weight.T
        return weight.float().reshape(self.n_heads, self.head_dim, -1)

    def head_out_bias(self, layer: int) -> torch.Tensor | None:
        bias = getattr(self.attn_out(layer), "bias", None)
        return None if bias is None else bias.float()

    def embeddings(self, input_ids: torch.Tensor) -> dict[str, torch.Tensor]:
        """The residual stream before layer 0 by part: {"token": (T, C), "position": (T, C)}."""
        ids = input_ids.to(self.lm_head.weight.device)
        parts = {"token embedding": self.model.get_input_embeddings()(ids)[0].float()}
        if self.family == "gpt2":
            positions = torch.arange(ids.shape[1], device=ids.device)
            parts["position embedding"] = self.model.transformer.wpe(positions).float()
        return parts

    def unembed(self, residual: torch.Tensor) -> torch.Tensor:
        """Logits (..., V) of residual vectors (..., C) read through final norm + lm_head."""
        return self.lm_head(self.final_norm(residual)).float()

    def norm_scale(self, final_residual: torch.Tensor) -> tuple[torch.Tensor, str]:
        """The final norm frozen at a real residual vector (C,): 1/rms (RMSNorm) or 1/σ
        (LayerNorm), so each component's share of a logit is a linear read-out."""
        x = final_residual.float()
        eps = float(getattr(self.final_norm, "variance_epsilon",
                            getattr(self.final_norm, "eps", 1e-5)))
        if self.family == "gpt2":
            return 1.0 / torch.sqrt(x.var(unbiased=False) + eps), "layernorm"
        return torch.rsqrt(x.pow(2).mean() + eps), "rmsnorm"


def model_parts(loaded: LoadedModel) -> ModelParts:
    """The residual-stream parts of a loaded causal LM, or one sentence saying why not."""
    model = loaded.model
    name = loaded.spec.name
    if loaded.spec.kind != "causal-lm" or getattr(model, "lm_head", None) is None:
        raise InputError(f"These views read a text-generation model's residual stream; "
                         f"{name} is not one (choose a model from the text-generation list).")
    config = model.config
    base = getattr(model, "model", None)
    if base is not None and hasattr(base, "layers") and hasattr(base, "norm"):
        layers = list(base.layers)
        if all(hasattr(b, "self_attn") and hasattr(b.self_attn, "o_proj")
               and hasattr(b.self_attn, "v_proj") and hasattr(b, "mlp")
               and not any(hasattr(b, n) for n in _EXTRA_NORMS) for b in layers):
            heads = config.num_attention_heads
            head_dim = getattr(config, "head_dim", None) or config.hidden_size // heads
            return ModelParts("llama", model, layers, base.norm, model.lm_head, heads, head_dim)
    base = getattr(model, "transformer", None)
    if base is not None and hasattr(base, "h") and hasattr(base, "ln_f"):
        layers = list(base.h)
        if all(hasattr(b, "attn") and hasattr(b.attn, "c_proj") and hasattr(b, "mlp")
               for b in layers):
            heads = config.n_head
            return ModelParts("gpt2", model, layers, base.ln_f, model.lm_head, heads,
                              config.n_embd // heads)
    raise InputError(f"{name} has a layout these views cannot take apart yet (they read "
                     "Llama-style and GPT-2-style models); choose another model.")
