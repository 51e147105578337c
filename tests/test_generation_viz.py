"""Token chips and probability figures: escaping, colours, and the numbers they carry."""

import torch

from lmlab.probability import NextTokens, TokenScore, top_next_tokens
from lmlab.viz.tokens import (chips_page_html, next_token_bar, probability_colour, surprisal_figure,
                              token_chips_html, visible_token)


def tok(text, prob, top=None):
    import math

    return TokenScore(index=1, token_id=5, text=text, prob=prob, surprisal_bits=-math.log2(prob),
                      top=top or [(text, prob), ("<b>x</b>", prob / 2)])


def test_chips_escape_user_text_and_show_top_alternatives():
    html = token_chips_html([tok("<script>alert(1)</script>", 0.5), tok(" ok", 0.01)],
                            prefix="<img src=x onerror=alert(1)>")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<img" not in html and "&lt;img" in html
    assert "<b>x</b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html  # alternatives too
    assert html.count("class='lm-chip'") == 2 and "50.00%" in html
    assert "lm-tip" in chips_page_html([tok("a", 0.3)])


def test_colours_run_from_red_to_green():
    assert probability_colour(1.0).startswith("hsl(120")
    assert probability_colour(1e-9).startswith("hsl(0,")
    mid = int(probability_colour(0.01)[4:].split(",")[0])
    assert 0 < mid < 120


def test_visible_tokens():
    assert visible_token(" the\n") == "␣the↵"
    assert visible_token("a\u200bb") == "a⟨ZWSP⟩b"
    assert visible_token("\r\n") == "␍↵"
    assert visible_token(" ⟨f0 9f 98⟩") == "␣⟨f0 9f 98⟩"  # the bytes' own spaces stay spaces


def test_next_token_bar_carries_ids_and_probabilities(tiny_gpt2):
    logits = torch.randn(len(tiny_gpt2.tokenizer))
    view = top_next_tokens(tiny_gpt2, logits, temperature=0.7, k=5)
    fig = next_token_bar(view, chosen=view.token_ids[1])
    bar = fig.data[0]
    assert list(bar.customdata) == view.token_ids
    assert list(bar.x) == view.probs and len(set(bar.y)) == 5
    assert bar.marker.color[1] != bar.marker.color[0]  # the chosen token stands out
    assert "entropy" in fig.layout.title.text


def test_surprisal_figure_heights_are_bits():
    tokens = [tok("a", 0.5), tok("b", 0.125)]
    fig = surprisal_figure(tokens)
    assert list(fig.data[0].y) == [1.0, 3.0]
    fig = next_token_bar(NextTokens([1, 2], ["<", "<"], [0.6, 0.4], 0.97, 1.0, 0.0))
    assert fig.data[0].y[0] != fig.data[0].y[1] and "&lt;" in fig.data[0].y[0]
