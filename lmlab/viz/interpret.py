"""Figures for the Look deeper views: logit lens, information flow, patching, saliency.

Pure builders (numbers in, plotly figure or HTML out). Clickable grids overlay a
scatter of square markers on the heatmap cells, because Streamlit's selection
returns nothing for heatmap traces; each marker carries its cell in customdata.
All token text is escaped before it reaches plotly labels or HTML.
"""

from __future__ import annotations

import html

import plotly.graph_objects as go

from lmlab.viz.labels import Labels, tr
from lmlab.viz.tokens import visible_token

_MAX_CELL_TEXT = 24  # positions up to which the lens prints the top token in every cell


def _label(text: str) -> str:
    return html.escape(visible_token(text), quote=False)


def _position_labels(tokens: list[str]) -> list[str]:
    return [f"{i}·{_label(t)}" for i, t in enumerate(tokens)]


def _row_name(labels: Labels, row: int) -> str:
    """Lens row `row`: 0 is the embeddings, r is the residual after layer r − 1."""
    return tr(labels, "embeddings") if row == 0 else tr(labels, "after layer {n}", n=row - 1)


def _click_layer(xs: list, ys: list, custom: list, hover: list[str], size: int) -> go.Scatter:
    """Invisible square markers on the cells: what a click selects."""
    return go.Scatter(x=xs, y=ys, mode="markers", customdata=custom, hovertext=hover,
                      hoverinfo="text", showlegend=False,
                      marker=dict(symbol="square", size=size, opacity=0.01, color="#000"))


def lens_heatmap(grid, labels: Labels = None) -> go.Figure:
    """Positions × layers: colour = probability of the top token, text = that token.

    Hover shows the top 5; a ring marks, per position, the first layer from which the
    model's final prediction is the top token.
    """
    xs = _position_labels(grid.tokens)
    z = grid.top_probs[:, :, 0].tolist()  # (L+1, T)
    text = [[_label(cell[0]) for cell in row] for row in grid.top_texts]
    layers = [_row_name(labels, r) for r in range(grid.n_rows)]
    hover, cx, cy, custom = [], [], [], []
    for r, layer in enumerate(layers):
        for p in range(grid.n_tokens):
            tops = "<br>".join(f"{_label(t)} {q:.1%}" for t, q in zip(
                grid.top_texts[r][p], grid.top_probs[r, p].tolist()))
            hover.append(tr(labels, "{layer} · position {pos} ({token})", layer=layer, pos=p,
                            token=xs[p]) + f"<br>{tops}<br>" + tr(
                labels, "final prediction {p}", p=f"{float(grid.final_token_prob[r, p]):.1%}"))
            cx.append(xs[p])
            cy.append(layer)
            custom.append([r, p])
    fig = go.Figure(go.Heatmap(
        z=z, x=xs, y=layers, colorscale="Viridis", zmin=0, zmax=1, hoverinfo="skip",
        text=text if grid.n_tokens <= _MAX_CELL_TEXT else None, texttemplate="%{text}",
        textfont=dict(size=9), colorbar=dict(title=tr(labels, "top-1 prob"))))
    fig.add_trace(_click_layer(cx, cy, custom, hover, 14))
    fig.add_trace(go.Scatter(
        x=xs, y=[layers[r] for r in grid.first_layer], mode="markers",
        name=tr(labels, "first top-1"),
        marker=dict(symbol="circle-open", size=13, color="#f97316", line=dict(width=2)),
        hoverinfo="skip"))
    fig.update_layout(title=tr(labels, "Logit lens · {model}", model=html.escape(grid.model_name)),
                      height=max(360, 22 * grid.n_rows + 140), margin=dict(l=10, r=10, t=50, b=10),
                      clickmode="event+select", dragmode=False,
                      legend=dict(orientation="h", y=1.02, x=1, xanchor="right"))
    fig.update_xaxes(type="category", tickangle=-60)
    fig.update_yaxes(type="category")
    return fig


def lens_cell_rows(grid, row: int, position: int) -> list[dict]:
    """The top 5 of one lens cell, as table rows."""
    return [{"rank": i + 1, "token": visible_token(t), "probability": float(p)}
            for i, (t, p) in enumerate(zip(grid.top_texts[row][position],
                                           grid.top_probs[row, position].tolist()))]


def contributions_heatmap(share, labels: Labels = None) -> go.Figure:
    """Layers × (heads, MLP): each component's share of the chosen token's logit."""
    L, H = share.heads.shape
    columns = [tr(labels, "head {head}", head=h) for h in range(H)] + ["MLP"]
    z = [share.heads[layer].tolist() + [float(share.mlp[layer])] for layer in range(L)]
    rows = [tr(labels, "layer {n}", n=i) for i in range(L)]
    bound = max(1e-9, max(abs(v) for row in z for v in row))
    cx, cy, custom, hover = [], [], [], []
    for layer in range(L):
        for c, name in enumerate(columns):
            cx.append(name)
            cy.append(rows[layer])
            custom.append([layer, c if c < H else -1])
            hover.append(f"{rows[layer]} · {name}: {z[layer][c]:+.3f}")
    fig = go.Figure(go.Heatmap(z=z, x=columns, y=rows, colorscale="RdBu", zmid=0, zmin=-bound,
                               zmax=bound, hoverinfo="skip",
                               colorbar=dict(title="logit")))  # the word, in every language
    fig.add_trace(_click_layer(cx, cy, custom, hover, 14))
    fig.update_layout(title=tr(labels, "What wrote “{token}” at position {pos} (logit {logit})",
                               token=_label(share.token), pos=share.position,
                               logit=f"{share.logit:.2f}"),
                      height=max(320, 18 * L + 140), margin=dict(l=10, r=10, t=50, b=10),
                      clickmode="event+select", dragmode=False)
    fig.update_xaxes(type="category")
    fig.update_yaxes(type="category", autorange="reversed")
    return fig


def flow_figure(tokens: list[str], n_layers: int, edges: list[tuple[int, int, int, float]],
                position: int, labels: Labels = None) -> go.Figure:
    """The information-flow graph: nodes are (position, layer boundary), edges carry shares.

    An edge (l, s, t, w) goes from position s below layer l to position t above it; its
    width grows with w. Only edges on a path to the chosen position are given.
    """
    xs = _position_labels(tokens)
    fig = go.Figure()
    bins = [(0.0, 0.1, 1), (0.1, 0.25, 2.5), (0.25, 0.5, 4), (0.5, 1.01, 6)]
    for low, high, width in bins:
        lx, ly = [], []
        for layer, s, t, w in edges:
            if low <= w < high:
                lx += [s, t, None]
                ly += [layer, layer + 1, None]
        if lx:
            fig.add_trace(go.Scatter(x=lx, y=ly, mode="lines", hoverinfo="skip",
                                     line=dict(width=width, color="#2563eb"), opacity=0.6,
                                     name=tr(labels, "share {low}–{high}", low=f"{low:.2f}",
                                             high=f"{min(high, 1):.2f}")))
    used = {(layer, s) for layer, s, _, _ in edges} | {(layer + 1, t) for layer, _, t, _ in edges}
    used.add((n_layers, position))
    nodes = sorted(used)
    states = [_row_name(labels, 0)] + [tr(labels, "after layer {n}", n=i) for i in range(n_layers)]
    fig.add_trace(go.Scatter(
        x=[p for _, p in nodes], y=[layer for layer, _ in nodes], mode="markers",
        marker=dict(size=7, color=["#f97316" if (lay, p) == (n_layers, position) else "#334155"
                                   for lay, p in nodes]),
        hovertext=[f"{xs[p]} · {states[lay]}" for lay, p in nodes], hoverinfo="text",
        name=tr(labels, "residual states")))
    fig.update_layout(title=tr(labels, "Information flow into position {pos} ({token})",
                               pos=position, token=xs[position]),
                      height=max(380, 16 * n_layers + 160), margin=dict(l=10, r=10, t=50, b=10),
                      legend=dict(orientation="h", y=-0.15))
    fig.update_xaxes(tickmode="array", tickvals=list(range(len(tokens))), ticktext=xs,
                     tickangle=-60, range=[-0.5, len(tokens) - 0.5])
    fig.update_yaxes(tickmode="array", tickvals=list(range(n_layers + 1)),
                     ticktext=states,
                     title="")
    return fig


def patching_heatmap(restored, row_labels: list[str], tokens: list[str], title: str,
                     labels: Labels = None) -> go.Figure:
    """Restored fraction per patched cell (rows × positions); 1 = clean answer fully back."""
    xs = _position_labels(tokens)
    z = [[None if v != v else float(v) for v in row] for row in restored.tolist()]  # NaN -> gap
    hover = [[f"{row_labels[r]} · {xs[p]}: " + (tr(labels, "not run") if v is None else
                                                 tr(labels, "{p} restored", p=f"{v:.1%}"))
              for p, v in enumerate(vals)] for r, vals in enumerate(z)]
    fig = go.Figure(go.Heatmap(z=z, x=xs, y=row_labels, colorscale="RdBu", zmid=0, zmin=-1,
                               zmax=1, hovertext=hover, hoverinfo="text",
                               colorbar=dict(title=tr(labels, "restored"), tickformat=".0%")))
    fig.update_layout(title=html.escape(title), height=max(320, 18 * len(row_labels) + 140),
                      margin=dict(l=10, r=10, t=50, b=10))
    fig.update_xaxes(type="category", tickangle=-60)
    fig.update_yaxes(type="category", autorange="reversed")
    return fig


def _chip_colour(value: float, bound: float) -> str:
    level = max(-1.0, min(1.0, value / bound)) if bound > 0 else 0.0
    hue = 10 if level < 0 else 215  # red pushes the token down, blue pushes it up
    return f"hsl({hue}, 80%, {round(97 - 40 * abs(level))}%)"


def saliency_chips_html(tokens: list[str], values: list[float], title: str) -> str:
    """Tokens as coloured chips (blue = raises the logit, red = lowers it); values on hover."""
    bound = max((abs(v) for v in values), default=0.0)
    chips = []
    for i, (token, value) in enumerate(zip(tokens, values)):
        tip = html.escape(f"{i} · {visible_token(token)}: {value:+.4f}", quote=True)
        chips.append(f'<span title="{tip}" style="background:{_chip_colour(value, bound)};'
                     'padding:2px 3px;margin:1px;border-radius:4px;display:inline-block;'
                     f'font-family:monospace">{html.escape(visible_token(token))}</span>')
    return (f'<div style="line-height:2"><div style="font-weight:600">{html.escape(title)}</div>'
            + "".join(chips) + "</div>")
