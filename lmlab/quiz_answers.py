"""Quiz questions answered by the live model: the right option is the model's own number.

Each builder takes what a page has already computed (logits, attention weights,
token scores), so asking costs no extra forward pass.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from lmlab.attention import previous_token_score
from lmlab.probability import NextTokens, TokenScore
from lmlab.quiz import Question, same_in_every_language

OPTIONS = 4


def option_order(count: int, seed: int) -> list[int]:
    """Positions 0..count-1 in a fixed shuffled order, so the answer is not always first."""
    order = list(range(count))
    np.random.default_rng(seed).shuffle(order)
    return order


def far_options(order: Sequence[int], seed: int) -> tuple[list[int], int]:
    """The best item (order[0], `order` ranks them all) and a few from the far half, in a
    fixed shuffled order: (options, index of the best)."""
    best = order[0]
    picks = list(dict.fromkeys([best, *order[len(order) // 2:]]))[:OPTIONS]
    shuffled = [picks[i] for i in option_order(len(picks), seed=seed)]
    return shuffled, shuffled.index(best)


def greedy_next_token(view: NextTokens, logits: torch.Tensor, shown) -> Question:
    """"Which token will greedy decoding pick next?": the argmax of the real logits.

    `view` holds the top tokens (any temperature, it does not change the order);
    `shown` makes a token readable (spaces visible).
    """
    best = int(torch.argmax(logits))
    ids = view.token_ids[:OPTIONS]
    if best not in ids:  # cannot happen for a top-k view, kept honest anyway
        ids = [best, *ids[:OPTIONS - 1]]
    texts = dict(zip(view.token_ids, view.texts))
    order = option_order(len(ids), seed=best)
    ordered = [ids[i] for i in order]
    return Question(
        "greedy_next",
        {"en": "Which token will greedy decoding pick next for this prompt?",
         "zh": "对这个提示词，贪心解码下一步会选哪个词元？"},
        [same_in_every_language(shown(texts.get(i, ""))) for i in ordered],
        ordered.index(best),
        {"en": "Greedy decoding takes the token with the highest logit; temperature changes the "
               "probabilities but never their order.",
         "zh": "贪心解码选 logit 最高的词元；温度会改变概率的大小，但不会改变它们的排序。"},
        live=True)


def previous_token_head(attentions: np.ndarray) -> Question:
    """"Which head attends most to the previous token?": argmax of the real weights (L, H)."""
    scores = previous_token_score(attentions)  # (L, H)
    n_layers, n_heads = scores.shape
    flat = [int(i) for i in np.argsort(-scores, axis=None, kind="stable")]
    ordered, answer = far_options(flat, seed=flat[0])

    def name(i: int) -> dict[str, str]:
        layer, head = divmod(i, n_heads)
        return {"en": f"layer {layer}, head {head}", "zh": f"第 {layer} 层，第 {head} 个注意力头"}

    return Question(
        "previous_token_head",
        {"en": "On your text, which head puts the most weight on the previous token?",
         "zh": "在你的文本上，哪个注意力头给前一个词元的权重最大？"},
        [name(i) for i in ordered], answer,
        {"en": "The “Attention to the previous token” map in Head habits shows this number "
               "for every head.",
         "zh": "“注意力头的习惯”里的“对前一个词元的注意力”图给出了每个头的这个数。"},
        live=True)


def most_surprising_token(tokens: list[TokenScore], shown) -> Question:
    """"Which token surprised the model most?": the highest surprisal among a few tokens."""
    order = sorted(range(len(tokens)), key=lambda i: -tokens[i].surprisal_bits)
    shuffled, answer = far_options(order, seed=len(tokens))
    return Question(
        "most_surprising",
        {"en": "Which of these tokens surprised the model most (highest surprisal)?",
         "zh": "下面哪个词元最让模型意外（惊异度最高）？"},
        [same_in_every_language(f"#{tokens[i].index} {shown(tokens[i].text)}") for i in shuffled],
        answer,
        {"en": "Surprisal = −log₂ P: the lower the probability the model gave a token, the "
               "taller its bar.",
         "zh": "惊异度 = −log₂ P：模型给一个词元的概率越低，它的柱子越高。"},
        live=True)


def lens_first_layer(grid, position: int, shown) -> Question:
    """"From which layer on does the logit lens rank the final prediction top?": the lens's own
    first_layer at `position` (a LensGrid: row 0 = embeddings, row r = after layer r − 1)."""
    best = int(grid.first_layer[position])
    rows = grid.n_rows
    # A few rows spread over the depth, the answer among them, shown in layer order.
    spread = {round(i * (rows - 1) / (OPTIONS - 1)) for i in range(OPTIONS)} if rows > 1 else {0}
    picks = sorted(({best} | spread))
    while len(picks) > OPTIONS:  # drop the spread row nearest the answer, never the answer
        picks.remove(min((p for p in picks if p != best), key=lambda p: abs(p - best)))

    def name(row: int) -> dict[str, str]:
        if row == 0:
            return {"en": "the embeddings (before layer 0)", "zh": "嵌入层（第 0 层之前）"}
        return {"en": f"after layer {row - 1}", "zh": f"第 {row - 1} 层之后"}

    token = shown(grid.top_texts[-1][position][0])  # the last row's top-1 is the model's output
    return Question(
        "lens_first_layer",
        {"en": f"At position {position}, from which point on does the logit lens rank the "
               f"model's final prediction “{token}” first (and keep it first)?",
         "zh": f"在位置 {position}，逻辑透镜从哪一处起把模型的最终预测“{token}”排在第一"
               "（并一直保持第一）？"},
        [name(r) for r in picks], picks.index(best),
        {"en": "The ring in the logit lens marks this row for every position; before it, the "
               "residual stream does not yet point to the final answer.",
         "zh": "逻辑透镜里的圆圈为每个位置标出了这一行；在它之前，残差流还没有指向最终答案。"},
        live=True)
