"""Figures sized for a classroom projector: larger type, taller plots, thicker marks."""

from __future__ import annotations

import plotly.graph_objects as go

PROJECTOR_FONT = 20  # px; plotly's default 12 px is unreadable from the back of a room
PROJECTOR_SCALE = 1.35  # taller figures, so the larger labels still leave room for the data
DEFAULT_HEIGHT = 450  # plotly's own default when a figure sets none


def figure_height(height: int | None, presenting: bool) -> int:
    base = height or DEFAULT_HEIGHT
    return round(base * PROJECTOR_SCALE) if presenting else base


def for_projector(fig: go.Figure) -> go.Figure:
    """A copy of `fig` with projector-sized type; the original (maybe cached) stays as it was."""
    big = go.Figure(fig)
    title_size = PROJECTOR_FONT + 6
    big.update_layout(font={"size": PROJECTOR_FONT}, title_font_size=title_size,
                      hoverlabel={"font_size": PROJECTOR_FONT},
                      legend_font_size=PROJECTOR_FONT,
                      height=figure_height(fig.layout.height, True))
    big.update_xaxes(tickfont_size=PROJECTOR_FONT, title_font_size=PROJECTOR_FONT + 2)
    big.update_yaxes(tickfont_size=PROJECTOR_FONT, title_font_size=PROJECTOR_FONT + 2)
    big.update_annotations(font_size=PROJECTOR_FONT)
    return big
