"""What every figure builder shares: escaping text for plotly, and one page layout."""

from __future__ import annotations

import html
from typing import Sequence

import plotly.graph_objects as go


def safe_texts(texts: Sequence[str]) -> list[str]:
    """Plotly reads tags like <b> or <a href> in labels: user and model text is escaped first."""
    return [html.escape(str(t), quote=False) for t in texts]


def titled(fig: go.Figure, title: str, height: int) -> go.Figure:
    """The lab's figure frame: a title, tight margins, the legend in a row above the plot."""
    fig.update_layout(title=title, height=height, margin=dict(l=10, r=10, t=50, b=10),
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0))
    return fig
