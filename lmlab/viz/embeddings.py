"""Plotly figures for embeddings and GloVe: pure functions, data in, figure out."""

from __future__ import annotations


import numpy as np
import plotly.graph_objects as go

from lmlab.viz.common import safe_texts, titled
from plotly.colors import qualitative

PALETTE = qualitative.Plotly
LABELS_UP_TO = 80  # beyond this many points, labels only on hover


def _safe(texts) -> list[str]:
    return safe_texts(texts)


def _layout(fig: go.Figure, title: str, height: int = 520) -> go.Figure:
    return titled(fig, title, height)


def projection_scatter(coords: np.ndarray, labels: list[str], groups: list[str],
                       title: str = "", details: list[str] | None = None) -> go.Figure:
    """2D or 3D scatter, one trace per group (its own colour), labels on hover.

    Each point carries its index in `customdata`, so a click maps back to the item.
    """
    coords = np.asarray(coords)
    labels, groups = _safe(labels), _safe(groups)
    details = _safe(details) if details else None
    three = coords.shape[1] == 3
    show_text = len(labels) <= LABELS_UP_TO
    fig = go.Figure()
    for g, group in enumerate(dict.fromkeys(groups)):
        idx = [i for i, gr in enumerate(groups) if gr == group]
        hover = [labels[i] + (f"<br>{details[i]}" if details and details[i] else "")
                 for i in idx]
        common = dict(name=group, customdata=idx, hovertext=hover, hoverinfo="text",
                      mode="markers+text" if show_text else "markers",
                      text=[labels[i] for i in idx] if show_text else None,
                      textposition="top center",
                      marker=dict(color=PALETTE[g % len(PALETTE)], size=6 if three else 10))
        if three:
            fig.add_trace(go.Scatter3d(x=coords[idx, 0], y=coords[idx, 1], z=coords[idx, 2],
                                       **common))
        else:
            fig.add_trace(go.Scatter(x=coords[idx, 0], y=coords[idx, 1], **common))
    fig = _layout(fig, title, 600)
    if not three:
        fig.update_xaxes(showticklabels=False, title=None)
        fig.update_yaxes(showticklabels=False, title=None, scaleanchor="x")
    return fig


def similarity_heatmap(matrix: np.ndarray, labels: list[str], title: str = "Cosine similarity"
                       ) -> go.Figure:
    n = len(labels)
    labels = _safe(labels)
    fig = go.Figure(go.Heatmap(
        z=np.round(matrix, 3), x=labels, y=labels, zmin=-1, zmax=1, colorscale="RdBu",
        reversescale=True, text=np.round(matrix, 2) if n <= 20 else None,
        texttemplate="%{text}" if n <= 20 else None,
        hovertemplate="%{y} · %{x}: %{z:.3f}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, max(400, min(900, 28 * n + 150)))


def vector_bars(words: list[str], vectors: np.ndarray, title: str = "The vectors, dimension by dimension"
                ) -> go.Figure:
    """Grouped bars: one colour per word, one group per dimension."""
    fig = go.Figure()
    words = _safe(words)
    dims = np.arange(vectors.shape[1])
    for k, (word, vec) in enumerate(zip(words, vectors)):
        fig.add_trace(go.Bar(x=dims, y=vec, name=word, marker_color=PALETTE[k % len(PALETTE)],
                             hovertemplate=f"{word}<br>dim %{{x}}: %{{y:.3f}}<extra></extra>"))
    fig.update_layout(barmode="group", xaxis_title="dimension", yaxis_title="value")
    return _layout(fig, title, 380)


def cooccurrence_heatmap(X: np.ndarray, words: list[str], title: str = "Co-occurrence counts X"
                         ) -> go.Figure:
    """X for the listed words (a top-left block of the vocabulary)."""
    n = len(words)
    words = _safe(words)
    block = X[:n, :n]
    fig = go.Figure(go.Heatmap(
        z=np.round(block, 3), x=words, y=words, colorscale="Viridis",
        text=np.round(block, 1) if n <= 20 else None,
        texttemplate="%{text}" if n <= 20 else None,
        hovertemplate="X[%{y}, %{x}] = %{z:.3f}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, max(420, min(900, 24 * n + 160)))


def weighting_curve(x_max: float, alpha: float, x_top: float | None = None) -> go.Figure:
    """f(x) = min(1, (x / x_max)^alpha)."""
    top = x_top or 2.0 * x_max
    x = np.linspace(0, top, 400)
    y = np.minimum((x / x_max) ** alpha, 1.0)
    fig = go.Figure(go.Scatter(x=x, y=y, mode="lines", name="f(x)",
                               hovertemplate="x = %{x:.2f}<br>f(x) = %{y:.3f}<extra></extra>"))
    fig.add_vline(x=x_max, line_dash="dot", annotation_text="x_max")
    fig.update_layout(xaxis_title="co-occurrence count x", yaxis_title="weight f(x)")
    fig.update_yaxes(range=[0, 1.1])
    return _layout(fig, f"Weighting f(x) = min(1, (x / {x_max:g})^{alpha:g})", 340)


def loss_curve(history: list[float], epochs: int | None = None) -> go.Figure:
    fig = go.Figure(go.Scatter(x=list(range(1, len(history) + 1)), y=history,
                               mode="lines+markers" if len(history) <= 60 else "lines",
                               name="J", hovertemplate="epoch %{x}: J = %{y:.2f}<extra></extra>"))
    fig.update_layout(xaxis_title="epoch", yaxis_title="J (summed over epoch)")
    if epochs:
        fig.update_xaxes(range=[0.5, epochs + 0.5])
    fig.update_yaxes(type="log")
    return _layout(fig, "Training loss J", 340)


def neighbour_bars(words: list[str], scores: list[float], title: str) -> go.Figure:
    """Horizontal bars of cosine similarities, best on top."""
    words = _safe(words)
    fig = go.Figure(go.Bar(x=scores, y=words, orientation="h",
                           text=[f"{s:.3f}" for s in scores], textposition="auto",
                           hovertemplate="%{y}: %{x:.3f}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title="cosine similarity", range=[min(0.0, min(scores, default=0)), 1])
    return _layout(fig, title, max(260, 28 * len(words) + 120))
