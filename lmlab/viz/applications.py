"""Figures for the applications pages: analogy accuracy, class probabilities, confusion
matrices, bias projections, compute cost and question-answering spans.

Pure functions: data in, plotly figure (or escaped HTML) out. Every label that may
come from a user is escaped, because plotly reads tags such as <a href> in text.
"""

from __future__ import annotations

import html
from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from lmlab.viz.common import safe_texts, titled
from lmlab.viz.labels import PERCENT_HOVER, PERCENT_TICKS, Labels, tr


def _safe(texts) -> list[str]:
    return safe_texts(texts)


def _layout(fig: go.Figure, title: str, height: int = 420) -> go.Figure:
    return titled(fig, title, height)


def accuracy_bars(names: Sequence[str], accuracies: Sequence[float], counts: Sequence[int],
                  title: str) -> go.Figure:
    """Accuracy per section, one horizontal bar each, with the number of questions scored."""
    acc = [0.0 if a != a else float(a) for a in accuracies]  # NaN (nothing scored) -> 0
    fig = go.Figure(go.Bar(x=acc, y=_safe(names), orientation="h",
                           text=[f"{a:.1%} of {n:,}" for a, n in zip(acc, counts)],
                           textposition="auto",
                           hovertemplate="%{y}: %{x:.1%}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title="accuracy (top-1)", range=[0, 1], tickformat=".0%")
    return _layout(fig, title, max(300, 26 * len(names) + 120))


def probability_bars(labels: Sequence[str], probs: Sequence[float], title: str,
                     x_title: str = "probability", texts: Labels = None) -> go.Figure:
    """Class probabilities as horizontal bars, in the order given (`texts`: axis language)."""
    fig = go.Figure(go.Bar(x=list(map(float, probs)), y=_safe(labels), orientation="h",
                           text=[f"{p:.1%}" for p in probs], textposition="auto",
                           hovertemplate="%{y}: %{x:.4f}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title=tr(texts, x_title), range=[0, 1], tickformat=".0%")
    return _layout(fig, title, max(220, 40 * len(labels) + 120))


def confusion_heatmap(matrix: np.ndarray, labels: Sequence[str], title: str,
                      texts: Labels = None) -> go.Figure:
    """Rows: the true label; columns: the predicted one; each cell a count."""
    labels = _safe(labels)
    fig = go.Figure(go.Heatmap(z=matrix, x=labels, y=labels, colorscale="Blues",
                               text=matrix, texttemplate="%{text}",
                               hovertemplate=tr(texts, "true %{y}, predicted %{x}: %{z}")
                               + "<extra></extra>"))
    fig.update_yaxes(title=tr(texts, "true label"), autorange="reversed")
    fig.update_xaxes(title=tr(texts, "predicted label"), side="bottom")
    return _layout(fig, title, 380)


def paired_bars(rows: Sequence[str], first: Sequence[float], second: Sequence[float],
                names: tuple[str, str], title: str, x_title: str = "probability",
                texts: Labels = None) -> go.Figure:
    """Two bars per row side by side (e.g. P(he) and P(she) after each occupation)."""
    rows = _safe(rows)
    hover = f"%{{y}}: %{{x:{PERCENT_HOVER}}}<extra>%{{fullData.name}}</extra>"
    fig = go.Figure([go.Bar(y=rows, x=list(xs), name=html.escape(name), orientation="h",
                            hovertemplate=hover)
                     for xs, name in ((first, names[0]), (second, names[1]))])
    fig.update_layout(barmode="group")
    fig.update_yaxes(autorange="reversed")
    # percent with significant digits: 0.0001 reads 0.01%, not plotly's SI "100µ"
    fig.update_xaxes(title=tr(texts, x_title), tickformat=PERCENT_TICKS)
    return _layout(fig, title, max(320, 36 * len(rows) + 140))


def projection_strip(words: Sequence[str], values: Sequence[float], title: str,
                     negative: str, positive: str, texts: Labels = None) -> go.Figure:
    """Words placed on one axis by their projection on a direction, sorted."""
    order = np.argsort(values)
    words = [_safe(words)[i] for i in order]
    values = [float(values[i]) for i in order]
    colours = ["#d62728" if v > 0 else "#1f77b4" for v in values]
    fig = go.Figure(go.Bar(x=values, y=words, orientation="h", marker_color=colours,
                           hovertemplate="%{y}: %{x:.3f}<extra></extra>"))
    fig.update_xaxes(title=f"← {html.escape(negative)}   {tr(texts, 'projection')}   "
                           f"{html.escape(positive)} →",
                     zeroline=True)
    return _layout(fig, title, max(320, 22 * len(words) + 140))


def cost_bars(names: Sequence[str], values: Sequence[float], title: str, x_title: str) -> go.Figure:
    """One bar per model on a log axis: scale spans many orders of magnitude."""
    fig = go.Figure(go.Bar(x=list(map(float, values)), y=_safe(names), orientation="h",
                           text=[f"{v:.3g}" for v in values], textposition="auto",
                           hovertemplate="%{y}: %{x:.3g}<extra></extra>"))
    fig.update_xaxes(type="log", title=x_title)
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, max(260, 40 * len(names) + 120))


def token_weights_html(tokens: Sequence[str], weights: Sequence[float],
                       marked: Sequence[bool] | None = None) -> str:
    """Tokens as chips shaded by weight in [0, 1]; marked ones (the answer) underlined.

    Every token is escaped, so text from the user or the model cannot become HTML.
    """
    top = max([float(w) for w in weights] + [1e-12])
    chips = []
    for i, (token, weight) in enumerate(zip(tokens, weights)):
        alpha = 0.85 * float(weight) / top
        style = f"background: rgba(255, 140, 0, {alpha:.3f}); padding: 1px 2px; border-radius: 3px;"
        if marked is not None and marked[i]:
            style += " border-bottom: 3px solid #2ca02c; font-weight: 600;"
        text = html.escape(token).replace("\n", "↵\n")
        chips.append(f'<span title="{float(weight):.4f}" style="{style}">{text}</span>')
    return ('<div style="line-height: 2; white-space: pre-wrap; font-family: sans-serif;">'
            + "".join(chips) + "</div>")
