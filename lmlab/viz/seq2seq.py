"""The cross-attention picture: which source tokens each output token looked at.

Rows are the tokens the decoder wrote (top to bottom, in order), columns the
source tokens the encoder read. Like the alignment plots of the first neural
translation papers (Bahdanau et al., 2015), a translation shows a rough
diagonal that bends where the two languages order words differently.
Labels are user text: they are HTML-escaped before plotly reads them.
"""

from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

from lmlab.seq2seq_attention import CrossAttention
from lmlab.viz.attention import safe_labels

MAX_TICKS = 60
CELL_PX = 18


def _ticks(tokens: list[str]) -> dict:
    step = max(1, math.ceil(len(tokens) / MAX_TICKS))
    vals = list(range(0, len(tokens), step))
    labels = safe_labels(tokens)
    return dict(tickmode="array", tickvals=vals, ticktext=[labels[i] for i in vals])


def view_title(ca: CrossAttention, layer: int | None, head: int | None) -> str:
    where = "all layers" if layer is None else f"layer {layer + 1} of {ca.n_layers}"
    which = "all heads averaged" if head is None else f"head {head + 1} of {ca.n_heads}"
    return f"Cross-attention · {where} · {which}"


def cross_attention_figure(ca: CrossAttention, layer: int | None = None,
                           head: int | None = None) -> go.Figure:
    """Heatmap (T_tgt, T_src) for one layer/head, or averaged (None)."""
    z = ca.view(layer, head)  # (T_tgt, T_src), each row sums to 1
    src, tgt = safe_labels(ca.source_tokens), safe_labels(ca.target_tokens)
    hover = [[f"output “{tgt[i]}” (#{i + 1}) looked at “{src[j]}” (#{j + 1}): {z[i, j]:.3f}"
              for j in range(len(src))] for i in range(len(tgt))]
    fig = go.Figure(go.Heatmap(
        z=np.round(z, 4), x=list(range(len(src))), y=list(range(len(tgt))), zmin=0,
        zmax=float(max(z.max(), 1e-6)), colorscale="Blues", text=hover, hoverinfo="text",
        colorbar=dict(title="weight")))
    fig.update_xaxes(title="source tokens (what the encoder read)", side="top", tickangle=-60,
                     **_ticks(ca.source_tokens))
    fig.update_yaxes(title="output tokens (what the decoder wrote)", autorange="reversed",
                     **_ticks(ca.target_tokens))
    height = max(320, min(1400, 140 + CELL_PX * len(tgt)))
    fig.update_layout(title=view_title(ca, layer, head), height=height,
                      margin=dict(l=10, r=10, t=150, b=10))
    return fig


def top_source_for_each_output(ca: CrossAttention, layer: int | None = None,
                               head: int | None = None) -> list[tuple[str, str, float]]:
    """(output token, most-attended source token, weight) per row: the alignment as a table."""
    z = ca.view(layer, head)
    best = z.argmax(axis=1)
    return [(ca.target_tokens[i], ca.source_tokens[j], float(z[i, j])) for i, j in enumerate(best)]
