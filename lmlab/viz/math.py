"""Plotly figures for the attention-math page: data in, figure out."""

from __future__ import annotations

import html
import math
from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from lmlab.ablation import AblationResult
from lmlab.attention_math import CellMath
from lmlab.toy_attention import ToyResult
from lmlab.viz.tokens import visible_token

HIGHLIGHT = "#d62728"
BASE_COLOUR = "#1f77b4"
MUTED = "#c7c7c7"


def token_label(index: int, token: str) -> str:
    """'3 fox': position and readable text, safe inside plotly's HTML-like labels."""
    return f"{index} {html.escape(visible_token(token), quote=False)}"


def token_labels(tokens: Sequence[str]) -> list[str]:
    return [token_label(i, t) for i, t in enumerate(tokens)]


def _layout(fig: go.Figure, title: str, height: int = 360) -> go.Figure:
    fig.update_layout(title=title, height=height, margin=dict(l=10, r=10, t=50, b=10),
                      template="plotly_white")
    return fig


def qk_products_figure(cell: CellMath) -> go.Figure:
    """q_n × k_n for each dimension n: the bars add up to q·k."""
    colours = [BASE_COLOUR if p >= 0 else HIGHLIGHT for p in cell.products]
    fig = go.Figure(go.Bar(x=list(range(len(cell.products))), y=cell.products,
                           marker_color=colours,
                           hovertemplate="dimension %{x}<br>q×k = %{y:.4f}<extra></extra>"))
    fig.update_xaxes(title="dimension n of the head")
    fig.update_yaxes(title="q_n × k_n")
    return _layout(fig, f"q·k = Σ q_n k_n = {cell.dot:.4f}", 300)


def softmax_row_figure(cell: CellMath) -> go.Figure:
    """The attention row of query i: one bar per key, masked keys greyed out."""
    labels = token_labels(cell.tokens)
    colours = [MUTED if m == -math.inf else (HIGHLIGHT if j == cell.key else BASE_COLOUR)
               for j, m in enumerate(cell.row_mask)]
    fig = go.Figure(go.Bar(x=labels, y=cell.row_weights, marker_color=colours,
                           hovertemplate="%{x}<br>weight %{y:.4f}<extra></extra>"))
    fig.update_xaxes(title="key token j", tickangle=-45, type="category")
    fig.update_yaxes(title="attention weight", range=[0, max(1e-9, max(cell.row_weights)) * 1.1])
    return _layout(fig, f"softmax row of query {token_label(cell.query, cell.tokens[cell.query])}"
                        f" (sums to {sum(cell.row_weights):.4f})", 340)


def head_pattern_figure(weights, tokens: Sequence[str], query: int, key: int,
                        title: str) -> go.Figure:
    """The whole (T, T) pattern of one head, with the chosen cell outlined."""
    labels = token_labels(tokens)
    fig = go.Figure(go.Heatmap(z=np.asarray(weights), x=labels, y=labels, colorscale="Blues",
                               zmin=0, zmax=1, colorbar=dict(title="weight"),
                               hovertemplate="query %{y}<br>key %{x}<br>%{z:.4f}<extra></extra>"))
    fig.add_shape(type="rect", x0=key - 0.5, x1=key + 0.5, y0=query - 0.5, y1=query + 0.5,
                  line=dict(color=HIGHLIGHT, width=3))
    fig.update_xaxes(title="key j", tickangle=-45, type="category")
    fig.update_yaxes(title="query i", autorange="reversed", type="category")
    return _layout(fig, title, max(360, 18 * len(tokens) + 120))


def matrix_heatmap(matrix, x_title: str, y_title: str, title: str, colorscale: str = "RdBu",
                   symmetric: bool = True, y_labels: Sequence[str] | None = None,
                   x_labels: Sequence[str] | None = None) -> go.Figure:
    z = np.asarray(matrix, dtype=float)
    finite = z[np.isfinite(z)]
    top = float(np.abs(finite).max()) if finite.size else 1.0
    limits = dict(zmin=-top, zmax=top) if symmetric else {}
    fig = go.Figure(go.Heatmap(z=z, x=x_labels, y=y_labels, colorscale=colorscale, **limits,
                               hovertemplate=f"{y_title} %{{y}}<br>{x_title} %{{x}}"
                                             "<br>%{z:.4f}<extra></extra>"))
    fig.update_xaxes(title=x_title)
    fig.update_yaxes(title=y_title, autorange="reversed")
    return _layout(fig, title, 380)


def sinusoid_figure(pe: np.ndarray) -> go.Figure:
    return matrix_heatmap(pe, "dimension", "position",
                          f"Sinusoidal position encoding ({pe.shape[0]} positions × {pe.shape[1]} dims)")


def similarity_figure(sim: np.ndarray, title: str) -> go.Figure:
    return matrix_heatmap(sim, "position", "position", title)


def rotary_frequency_figure(theta: np.ndarray) -> go.Figure:
    """Wavelength of each rotated pair: 2π/θ_n positions per full turn."""
    wavelength = 2 * np.pi / theta
    fig = go.Figure(go.Scatter(x=list(range(len(theta))), y=wavelength, mode="lines+markers",
                               hovertemplate="pair %{x}<br>one turn every %{y:.1f} positions"
                                             "<extra></extra>"))
    fig.update_xaxes(title="pair n of query/key dimensions")
    fig.update_yaxes(title="positions per full turn", type="log")
    return _layout(fig, "Rotary frequencies: fast pairs see neighbours, slow pairs see far", 320)


def ablation_figure(result: AblationResult) -> go.Figure:
    """Next-token probabilities of the top tokens, before and after the knockout."""
    labels = [html.escape(visible_token(t), quote=False) for t in result.top_tokens]
    fig = go.Figure([
        go.Bar(name="full model", x=labels, y=result.base_probs, marker_color=BASE_COLOUR),
        go.Bar(name=f"without {result.ablation.describe()}", x=labels, y=result.ablated_probs,
               marker_color=HIGHLIGHT)])
    fig.update_layout(barmode="group", legend=dict(orientation="h", y=-0.3))
    fig.update_xaxes(title="next token", type="category")
    fig.update_yaxes(title="probability")
    return _layout(fig, "Next-token distribution", 380)


def head_sweep_figure(base: float, without: Sequence[float], layer: int) -> go.Figure:
    change = [p - base for p in without]
    colours = [HIGHLIGHT if c > 0 else BASE_COLOUR for c in change]
    fig = go.Figure(go.Bar(x=[f"head {h}" for h in range(len(change))], y=change,
                           marker_color=colours,
                           hovertemplate="%{x}<br>perplexity change %{y:+.3f}<extra></extra>"))
    fig.update_yaxes(title="perplexity change")
    return _layout(fig, f"Layer {layer}: perplexity change when each head is removed "
                        f"(full model {base:.3f})", 320)


def toy_weights_figure(toy: ToyResult) -> go.Figure:
    labels = token_labels(toy.tokens)
    text = [[f"{w:.3f}" for w in row] for row in toy.weights]
    fig = go.Figure(go.Heatmap(z=toy.weights, x=labels, y=labels, colorscale="Blues", zmin=0,
                               zmax=1, text=text, texttemplate="%{text}",
                               hovertemplate="query %{y}<br>key %{x}<br>%{z:.4f}<extra></extra>"))
    fig.update_xaxes(title="key", type="category")
    fig.update_yaxes(title="query", autorange="reversed", type="category")
    return _layout(fig, "Attention weights (each row sums to 1)", 380)
