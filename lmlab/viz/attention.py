"""Plotly figures of attention: pure functions, capture in, figure out.

Token labels are user text: plotly reads a few HTML-like tags in labels, so
every label is HTML-escaped before it reaches a figure. Positions are the
axis values (tick text shows the token), so repeated tokens keep their own
rows and columns.
"""

from __future__ import annotations

import html
import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lmlab.attention import AttentionCapture
from lmlab.viz.labels import Labels, tr

COLORSCALE = "Blues"
CELL_PX = 14  # pixels per token row in a single heatmap


def safe_labels(tokens: list[str]) -> list[str]:
    return [html.escape(t, quote=False) for t in tokens]


def _ticks(tokens: list[str], max_ticks: int = 80) -> dict:
    """Tick positions and texts; past max_ticks only every k-th token is named."""
    step = max(1, math.ceil(len(tokens) / max_ticks))
    vals = list(range(0, len(tokens), step))
    labels = safe_labels(tokens)
    return dict(tickmode="array", tickvals=vals, ticktext=[labels[i] for i in vals])


def _hover_text(tokens: list[str]) -> list[list[str]]:
    labels = safe_labels(tokens)
    return [[f"{labels[i]} (#{i}) → {labels[j]} (#{j})" for j in range(len(labels))]
            for i in range(len(labels))]


def _generated_boundary(fig: go.Figure, capture: AttentionCapture, row=None, col=None) -> None:
    """Dashed lines where the model's own continuation starts."""
    if capture.n_generated <= 0:
        return
    edge = capture.n_prompt - 0.5
    kw = dict(line=dict(color="#d6336c", width=1.5, dash="dash"))
    if row is not None:
        kw.update(row=row, col=col)
    fig.add_hline(y=edge, **kw)
    fig.add_vline(x=edge, **kw)


def attention_heatmap(capture: AttentionCapture, layer: int, head: int, labels: Labels = None
                      ) -> go.Figure:
    """One head's (T, T) attention: row = the token looking, column = the token looked at."""
    weights = capture.attentions[layer, head].astype(np.float32)  # (T, T)
    fig = go.Figure(go.Heatmap(
        z=weights, zmin=0, zmax=1, colorscale=COLORSCALE, text=_hover_text(capture.tokens),
        hovertemplate=f"%{{text}}<br>{tr(labels, 'weight')} %{{z:.3f}}<extra></extra>",
        colorbar=dict(title=tr(labels, "weight"))))
    ticks = _ticks(capture.tokens)
    size = max(420, min(1400, CELL_PX * capture.n_tokens + 160))
    fig.update_layout(
        title=tr(labels, "Layer {layer}, head {head}: who attends to whom (each row sums to 1)",
                 layer=layer, head=head),
        xaxis=dict(title=tr(labels, "attended-to token (key)"), side="bottom", tickangle=-60,
                   **ticks),
        yaxis=dict(title=tr(labels, "attending token (query)"), autorange="reversed", **ticks),
        height=size, margin=dict(l=10, r=10, t=50, b=10))
    _generated_boundary(fig, capture)
    return fig


def heads_grid(capture: AttentionCapture, layer: int, labels: Labels = None) -> go.Figure:
    """Every head of one layer side by side, on one colour scale."""
    H = capture.n_heads
    cols = math.ceil(math.sqrt(H))
    rows = math.ceil(H / cols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=[tr(labels, "head {head}", head=h) for h in range(H)],
                        horizontal_spacing=0.03, vertical_spacing=0.06)
    for h in range(H):
        r, c = h // cols + 1, h % cols + 1
        # Positions only in the hover: token labels per cell would repeat T² strings in
        # every thumbnail (megabytes per page run); the single-head heatmap names them.
        fig.add_trace(go.Heatmap(
            z=capture.attentions[layer, h].astype(np.float32), zmin=0, zmax=1,
            colorscale=COLORSCALE, showscale=h == 0,
            hovertemplate=f"head {h}<br>token #%{{y}} → token #%{{x}}<br>weight %{{z:.3f}}"
                          "<extra></extra>",
            colorbar=dict(title="weight")), row=r, col=c)
        _generated_boundary(fig, capture, row=r, col=c)
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False, autorange="reversed")
    fig.update_layout(title=tr(labels, "All {n} heads of layer {layer} (rows: attending token; "
                                       "columns: attended-to token)", n=H, layer=layer),
                      height=260 * rows + 80, margin=dict(l=10, r=10, t=70, b=10))
    return fig


def layer_head_map(values: np.ndarray, title: str, colorbar: str, zmax: float | None = None,
                   colorscale: str = "Viridis", fmt: str = ".2f", labels: Labels = None
                   ) -> go.Figure:
    """An (L, H) table of one number per head, as a heatmap."""
    L, H = values.shape
    fig = go.Figure(go.Heatmap(
        z=values.astype(np.float32), x=list(range(H)), y=list(range(L)), zmin=0, zmax=zmax,
        colorscale=colorscale, colorbar=dict(title=colorbar),
        hovertemplate=(f"{tr(labels, 'layer')} %{{y}}, {tr(labels, 'head')} %{{x}}<br>{colorbar} "
                       f"%{{z:{fmt}}}<extra></extra>")))
    fig.update_layout(title=title, xaxis=dict(title=tr(labels, "head"), dtick=1),
                      yaxis=dict(title=tr(labels, "layer"), autorange="reversed",
                                 dtick=1 if L <= 16 else 2),
                      height=max(300, 18 * L + 140), margin=dict(l=10, r=10, t=50, b=10))
    return fig


def rollout_heatmap(capture: AttentionCapture, rollout: np.ndarray, layer: int,
                    labels: Labels = None) -> go.Figure:
    """(T, T) rollout after `layer`: how much each token's state traces back to each input."""
    fig = go.Figure(go.Heatmap(
        z=rollout[layer].astype(np.float32), zmin=0, colorscale="Purples",
        text=_hover_text(capture.tokens), colorbar=dict(title=tr(labels, "share")),
        hovertemplate=f"%{{text}}<br>{tr(labels, 'share')} %{{z:.3f}}<extra></extra>"))
    ticks = _ticks(capture.tokens)
    fig.update_layout(
        title=tr(labels, "Attention rollout through layers 0–{layer} (heads averaged, residual "
                         "included)", layer=layer),
        xaxis=dict(title=tr(labels, "input token"), tickangle=-60, **ticks),
        yaxis=dict(title=tr(labels, "token after the layers"), autorange="reversed", **ticks),
        height=max(420, min(1400, CELL_PX * capture.n_tokens + 160)),
        margin=dict(l=10, r=10, t=50, b=10))
    _generated_boundary(fig, capture)
    return fig


def rollout_bars(capture: AttentionCapture, rollout: np.ndarray, layer: int,
                 position: int, labels: Labels = None) -> go.Figure:
    """One token's row of the rollout, as bars over the input tokens."""
    names = safe_labels(capture.tokens)
    share = rollout[layer, position]
    fig = go.Figure(go.Bar(x=list(range(capture.n_tokens)), y=share.astype(np.float32),
                           text=names, marker_color="#6f42c1",
                           hovertemplate=(f"%{{text}} (#%{{x}})<br>{tr(labels, 'share')} "
                                          "%{y:.3f}<extra></extra>")))
    fig.update_layout(
        title=tr(labels, "Where “{token}” (#{position}) traces back to, after layer {layer}",
                 token=names[position], position=position, layer=layer),
        xaxis=dict(title=tr(labels, "input token"), tickangle=-60, **_ticks(capture.tokens)),
        yaxis=dict(title=tr(labels, "share of the rollout"), rangemode="tozero"),
        height=380, margin=dict(l=10, r=10, t=50, b=10))
    fig.update_traces(textposition="none")
    return fig
