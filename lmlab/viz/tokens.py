"""Figures and HTML for token probabilities: pure functions, data in, figure/HTML out.

Every token text that goes into HTML is escaped: a prompt that contains
`<script>` shows those characters and runs nothing.
"""

from __future__ import annotations

import html
import math
import re

import plotly.graph_objects as go

from lmlab.probability import NextTokens, TokenScore
from lmlab.viz.labels import PERCENT_HOVER, PERCENT_TICKS, Labels, percent, tr

# Probabilities are coloured on a log scale: 1 -> green, 1e-4 and below -> red.
LOG10_FLOOR = -4.0


_SHOWN_BYTES = re.compile(r"(⟨[0-9a-f]{2}(?: [0-9a-f]{2})*⟩)")  # lmlab.token_text's ⟨f0 9f⟩


def visible_token(text: str) -> str:
    """A token as a student can read it: spaces, newlines, tabs and returns made visible
    (the spaces between shown bytes, ⟨f0 9f⟩, stay spaces)."""
    if text == "":
        return "∅"
    parts = _SHOWN_BYTES.split(text)  # odd items are shown bytes
    return "".join(part if i % 2 else _visible_whitespace(part) for i, part in enumerate(parts))


def _visible_whitespace(text: str) -> str:
    return (text.replace(" ", "␣").replace("\n", "↵").replace("\t", "⇥").replace("\r", "␍")
            .replace("\u200b", "⟨ZWSP⟩").replace("\u200d", "⟨ZWJ⟩")
            .replace("\u200c", "⟨ZWNJ⟩"))


def _plotly_label(text: str) -> str:
    # plotly reads a small HTML subset in labels; escaping shows the characters as typed
    return html.escape(visible_token(text), quote=False)


def probability_colour(prob: float) -> str:
    """Background colour for a probability: red (surprising) to green (expected)."""
    level = math.log10(max(prob, 10 ** LOG10_FLOOR))
    frac = 1.0 - level / LOG10_FLOOR  # 0 at the floor, 1 at probability 1
    return f"hsl({round(120 * frac)}, 75%, 82%)"


def next_token_bar(view: NextTokens, chosen: int | None = None, labels: Labels = None
                   ) -> go.Figure:
    """Horizontal bars of the top-k next tokens, likeliest on top; customdata = token id.

    Percentages keep three significant digits, so a flat distribution (high
    temperature) still tells its bars apart.
    """
    names = [f"{i + 1}. {_plotly_label(t)}" for i, t in enumerate(view.texts)]
    colours = ["#2563eb" if tid != chosen else "#f59e0b" for tid in view.token_ids]
    probability = tr(labels, "probability")
    fig = go.Figure(go.Bar(
        x=view.probs, y=names, orientation="h", customdata=view.token_ids,
        marker_color=colours, text=[percent(p) for p in view.probs], textposition="auto",
        hovertemplate=f"%{{y}}<br>{probability} %{{x:{PERCENT_HOVER}}}<extra></extra>"))
    fig.update_layout(
        title=tr(labels, "Top {k} next tokens at temperature {temperature} · entropy {entropy} bits",
                 k=len(view.probs), temperature=f"{view.temperature:g}",
                 entropy=f"{view.entropy_bits:.2f}"),
        xaxis_title=probability, yaxis=dict(autorange="reversed", type="category"),
        height=120 + 28 * len(view.probs), margin=dict(l=10, r=10, t=50, b=40),
        clickmode="event+select", dragmode=False)
    fig.update_xaxes(range=[0, max(1e-9, max(view.probs)) * 1.12], tickformat=PERCENT_TICKS)
    return fig


def surprisal_figure(tokens: list[TokenScore], labels: Labels = None) -> go.Figure:
    """Surprisal (bits) per token: tall bars are the tokens the model did not expect."""
    names = [f"{t.index}. {_plotly_label(t.text)}" for t in tokens]
    bits, probability = tr(labels, "bits"), tr(labels, "probability")
    fig = go.Figure(go.Bar(
        x=names, y=[t.surprisal_bits for t in tokens],
        marker_color=[probability_colour(t.prob) for t in tokens], marker_line_color="#555",
        marker_line_width=0.5, customdata=[t.prob for t in tokens],
        hovertemplate=(f"%{{x}}<br>%{{y:.2f}} {bits} · {probability} "
                       f"%{{customdata:{PERCENT_HOVER}}}<extra></extra>")))
    fig.update_layout(title=tr(labels, "Surprisal per token (−log₂ probability)"), yaxis_title=bits,
                      xaxis=dict(type="category", tickangle=-60), height=380,
                      margin=dict(l=10, r=10, t=50, b=10))
    return fig


def _tooltip(token: TokenScore) -> str:
    rows = "".join(
        f"<tr><td>{html.escape(visible_token(text))}</td><td>{prob:.1%}</td></tr>"
        for text, prob in token.top)
    return (f"<span class='lm-tip'><b>{token.prob:.2%}</b> · {token.surprisal_bits:.1f} bits"
            f"<table>{rows}</table></span>")


def token_chips_html(tokens: list[TokenScore], prefix: str = "") -> str:
    """Each token as a chip coloured by its probability; hovering shows the top-5.

    `prefix` (already-known context, e.g. the prompt) is shown plain before the chips.
    """
    chips = []
    for token in tokens:
        title = "; ".join(f"{visible_token(t)} {p:.1%}" for t, p in token.top)
        chips.append(
            f"<span class='lm-chip' style='background:{probability_colour(token.prob)}' "
            f"title='{html.escape(title, quote=True)}'>{html.escape(token.text)}"
            f"{_tooltip(token)}</span>")
    lead = f"<span class='lm-prefix'>{html.escape(prefix)}</span>" if prefix else ""
    return f"<div class='lm-chips'>{lead}{''.join(chips)}</div>"


def chips_legend_html() -> str:
    stops = [1.0, 0.1, 0.01, 0.001, 0.0001]
    swatches = "".join(f"<span class='lm-chip' style='background:{probability_colour(p)}'>"
                       f"{p:g}</span>" for p in stops)
    return f"<div class='lm-legend'>probability: {swatches}</div>"


CHIPS_CSS = """
.lm-chips{line-height:2.1;white-space:pre-wrap;word-break:break-word;font-size:1rem}
.lm-prefix{color:#555}
.lm-chips{direction:ltr}
.lm-chip{position:relative;border-radius:4px;padding:1px 1px;margin:0 1px;color:#111;
  unicode-bidi:isolate}
.lm-chip .lm-tip{display:none;position:absolute;left:0;top:1.9em;z-index:10;background:#fff;
  color:#111;border:1px solid #999;border-radius:6px;padding:4px 8px;white-space:nowrap;
  font-size:0.8rem;box-shadow:0 2px 6px rgba(0,0,0,.2);line-height:1.3}
.lm-chip:hover .lm-tip{display:block}
.lm-tip table{border-collapse:collapse;margin-top:2px}
.lm-tip td{padding:0 6px;border:none}
.lm-legend{font-size:0.8rem;color:#555;margin:4px 0}
"""


def chips_page_html(tokens: list[TokenScore], prefix: str = "", legend: bool = True) -> str:
    """Chips with their style sheet, ready for st.html / gr.HTML."""
    return (f"<style>{CHIPS_CSS}</style>{token_chips_html(tokens, prefix)}"
            f"{chips_legend_html() if legend else ''}")
