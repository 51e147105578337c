"""The logit lens: read the residual stream after every layer as if it were the last.

Each layer's residual goes through the model's own final norm and unembedding
(lm_head): logits_l = lm_head(final_norm(resid_l)). After the last layer this is
exactly the model's output. The grid is positions × layers, one cell per pair,
with the top token, its probability and the top 5; per position, the first layer
from which the model's final prediction is the top-1 token and stays top-1.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from lmlab.residual import Trace

TOP_K = 5
# Residual rows unembedded in one product: the (V, C) unembedding is read once per chunk,
# so larger chunks run quicker (512 rows: 0.83x the time of 256), at (512, V) floats, 96 MiB.
_ROWS_PER_CHUNK = 512
# Rows read out (normalizer, top 5) at a time: (16, V) floats, 3 MiB, stay in the CPU cache
# between the passes over them.
_ROWS_PER_READ = 16


@dataclass
class LensGrid:
    tokens: list[str]  # the input tokens (positions)
    layers: list[str]  # row labels: "embeddings", "after layer 0", ... "after layer L-1"
    top_ids: list[list[list[int]]]  # [layer][position] -> top-5 token ids
    top_texts: list[list[list[str]]]  # [layer][position] -> top-5 token texts
    top_probs: torch.Tensor  # (L+1, T, 5) probabilities of the top 5
    final_token_prob: torch.Tensor  # (L+1, T): probability of the final prediction at each layer
    final_ids: list[int]  # (T,) the model's own top-1 after each position
    first_layer: list[int]  # per position: first row from which the final top-1 stays top-1
    model_name: str

    @property
    def n_rows(self) -> int:
        return len(self.layers)

    @property
    def n_tokens(self) -> int:
        return len(self.tokens)

    def rows(self) -> list[dict]:
        """One dict per cell, for tables and CSV downloads."""
        out = []
        for row, layer in enumerate(self.layers):
            for pos, token in enumerate(self.tokens):
                out.append({"layer": layer, "position": pos, "input token": token,
                            "top token": self.top_texts[row][pos][0],
                            "probability": float(self.top_probs[row, pos, 0]),
                            "final prediction probability": float(self.final_token_prob[row, pos]),
                            "top 5": " | ".join(f"{t} {p:.3f}" for t, p in zip(
                                self.top_texts[row][pos], self.top_probs[row, pos].tolist()))})
        return out


@torch.inference_mode()
def lens_logits(trace: Trace, rows: torch.Tensor | None = None) -> torch.Tensor:
    """Full lens logits (R, T, V) for residual rows (all by default); for tests and small models."""
    resid = trace.resid if rows is None else trace.resid[rows]
    parts = trace.parts
    device = parts.lm_head.weight.device
    return parts.unembed(resid.to(device, parts.lm_head.weight.dtype)).cpu()


@torch.inference_mode()
def logit_lens(trace: Trace, decode) -> LensGrid:
    """The lens grid of a trace; `decode(id) -> str` gives readable token texts."""
    parts = trace.parts
    R, T, C = trace.resid.shape  # (L+1, T, C)
    device, dtype = parts.lm_head.weight.device, parts.lm_head.weight.dtype
    final_ids = trace.logits.argmax(-1)  # (T,) the model's own predictions
    flat = trace.resid.reshape(R * T, C)
    top_p, top_i, final_p = [], [], []
    targets = final_ids.repeat(R).to(device)  # (R*T,)
    for start in range(0, R * T, _ROWS_PER_CHUNK):
        logits = parts.unembed(flat[start:start + _ROWS_PER_CHUNK].to(device, dtype))  # (n, V)
        for lo in range(0, len(logits), _ROWS_PER_READ):
            rows = logits[lo:lo + _ROWS_PER_READ]  # (r, V)
            log_z = torch.logsumexp(rows, dim=-1, keepdim=True)  # (r, 1)
            values, ids = rows.topk(TOP_K, dim=-1)  # (r, 5)
            top_p.append((values - log_z).exp().cpu())
            top_i.append(ids.cpu())
            wanted = targets[start + lo:start + lo + len(rows), None]  # (r, 1)
            final_p.append((rows.gather(1, wanted) - log_z)[:, 0].exp().cpu())
    top_probs = torch.cat(top_p).reshape(R, T, TOP_K)
    top_ids = torch.cat(top_i).reshape(R, T, TOP_K)
    is_top = top_ids[:, :, 0] == final_ids[None, :]  # (R, T)
    first = []
    for pos in range(T):
        row = R - 1
        while row > 0 and bool(is_top[row - 1, pos]):
            row -= 1
        first.append(row)
    ids_list = top_ids.tolist()
    texts = [[[decode(i) for i in cell] for cell in row] for row in ids_list]
    labels = ["embeddings"] + [f"after layer {i}" for i in range(R - 1)]
    return LensGrid(tokens=trace.tokens, layers=labels, top_ids=ids_list, top_texts=texts,
                    top_probs=top_probs, final_token_prob=torch.cat(final_p).reshape(R, T),
                    final_ids=final_ids.tolist(), first_layer=first, model_name=trace.model_name)
