"""Plotly figures for the training lab: loss / perplexity curves, fine-tuning, fill-mask.

Pure functions: plain data in, a figure out (Streamlit, Gradio and tests share them).
"""

from __future__ import annotations

import math
from typing import Sequence

# Import pandas fully before plotly peeks at sys.modules for it: a pandas half-imported
# by another server thread otherwise breaks figure building (seen under load).
import pandas  # noqa: F401
import plotly.graph_objects as go

from lmlab.training import LogPoint
from lmlab.viz.labels import PERCENT_TICKS, Labels, log_ticks, percent, tr

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]
METRICS = ("loss", "perplexity")


def curves_figure(runs: Sequence[tuple[str, Sequence[LogPoint]]], metric: str = "loss",
                  baseline_perplexity: float | None = None, total_steps: int | None = None,
                  labels: Labels = None) -> go.Figure:
    """Train (dashed) and validation (solid) curves of each run on one plot.

    metric "loss": cross-entropy in nats per token; "perplexity": exp(loss).
    The unigram baseline (a model that ignores context) is a dotted grey line.
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}")
    fig = go.Figure()
    to_metric = (lambda v: v) if metric == "loss" else math.exp
    for i, (name, history) in enumerate(runs):
        color = COLORS[i % len(COLORS)]
        steps = [p.step for p in history]
        fig.add_trace(go.Scatter(x=steps, y=[to_metric(p.train_loss) for p in history],
                                 mode="lines", name=f"{name} · {tr(labels, 'train')}",
                                 line=dict(color=color, dash="dash", width=1.5)))
        fig.add_trace(go.Scatter(x=steps, y=[to_metric(p.val_loss) for p in history],
                                 mode="lines+markers",
                                 name=f"{name} · {tr(labels, 'validation')}",
                                 line=dict(color=color, width=2.5), marker=dict(size=5)))
    if baseline_perplexity:
        level = math.log(baseline_perplexity) if metric == "loss" else baseline_perplexity
        fig.add_hline(y=level, line=dict(color="grey", dash="dot"),
                      annotation_text=tr(labels, "unigram baseline ({metric} {level})",
                                         metric=tr(labels, metric), level=f"{level:.2f}"),
                      annotation_position="top right")
    label = tr(labels, "loss (nats per token)" if metric == "loss" else "perplexity = exp(loss)")
    fig.update_layout(xaxis_title=tr(labels, "training step"), yaxis_title=label, height=380,
                      margin=dict(l=10, r=10, t=30, b=10), legend=dict(orientation="h", y=-0.2),
                      hovermode="x unified")
    if metric == "perplexity":
        values = [math.exp(v) for _, h in runs for p in h for v in (p.train_loss, p.val_loss)
                  if math.isfinite(v) and v < 700]
        values += [baseline_perplexity] if baseline_perplexity else []
        _log_axis(fig, values)
    if total_steps:
        fig.update_xaxes(range=[0, total_steps])
    return fig


def _log_axis(fig: go.Figure, values: Sequence[float]) -> None:
    """A log y axis whose ticks read 2, 5, 10, 20 … instead of plotly's digit labels."""
    fig.update_yaxes(type="log")
    values = [v for v in values if v > 0]
    if values:
        ticks, texts = log_ticks(min(values), max(values))
        fig.update_yaxes(tickmode="array", tickvals=ticks, ticktext=texts)


def finetune_figure(table: dict[str, dict[str, float]], labels: Labels = None) -> go.Figure:
    """Grouped bars: validation perplexity on each corpus at each stage (lower is better)."""
    fig = go.Figure()
    corpora = list(next(iter(table.values()), {}))
    for i, corpus in enumerate(corpora):
        stages = [s for s in table if corpus in table[s]]
        values = [table[s][corpus] for s in stages]
        fig.add_trace(go.Bar(x=stages, y=values, name=corpus, marker_color=COLORS[i % len(COLORS)],
                             text=[f"{v:.2f}" for v in values], textposition="outside"))
    fig.update_layout(barmode="group",
                      yaxis_title=tr(labels, "validation perplexity (lower is better)"),
                      height=360, margin=dict(l=10, r=10, t=30, b=10),
                      legend=dict(orientation="h", y=-0.2))
    _log_axis(fig, [v for row in table.values() for v in row.values()])
    return fig


def predictions_figure(predictions: list[tuple[str, float]], title: str = "",
                       labels: Labels = None) -> go.Figure:
    """Horizontal bars of the top fill-mask predictions, most likely on top."""
    words = [w for w, _ in predictions][::-1]
    probs = [p for _, p in predictions][::-1]
    fig = go.Figure(go.Bar(x=probs, y=words, orientation="h", text=[percent(p) for p in probs],
                           textposition="auto", marker_color=COLORS[0]))
    fig.update_xaxes(tickformat=PERCENT_TICKS)
    fig.update_layout(title=title, xaxis_title=tr(labels, "probability"),
                      height=60 + 34 * max(1, len(words)),
                      margin=dict(l=10, r=10, t=40 if title else 10, b=10), xaxis_range=[0, 1])
    return fig
