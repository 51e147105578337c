"""Quiz questions answered by the live model: the right option is the model's own number.

Each builder takes what a page has already computed (logits, attention weights,
token scores), so asking costs no extra forward pass.
"""

from __future__ import annotations

import numpy as np
import torch

from lmlab.attention import previous_token_score
from lmlab.probability import NextTokens, TokenScore
from lmlab.quiz import Question, same_in_every_language

OPTIONS = 4


def _order(count: int, seed: int) -> list[int]:
    """Positions 0..count-1 in a fixed shuffled order, so the answer is not always first."""
    order = list(range(count))
    np.random.default_rng(seed).shuffle(order)
    return order


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
    order = _order(len(ids), seed=best)
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
    flat = np.argsort(-scores, axis=None, kind="stable")
    best = int(flat[0])
    picks = [best] + [int(i) for i in flat[len(flat) // 2:]][:OPTIONS - 1]
    picks = list(dict.fromkeys(picks))
    order = _order(len(picks), seed=best)
    ordered = [picks[i] for i in order]

    def name(i: int) -> dict[str, str]:
        layer, head = divmod(i, n_heads)
        return {"en": f"layer {layer}, head {head}", "zh": f"第 {layer} 层，第 {head} 个注意力头"}

    return Question(
        "previous_token_head",
        {"en": "On your text, which head puts the most weight on the previous token?",
         "zh": "在你的文本上，哪个注意力头给前一个词元的权重最大？"},
        [name(i) for i in ordered], ordered.index(best),
        {"en": "The “Attention to the previous token” map in Head habits shows this number "
               "for every head.",
         "zh": "“注意力头的习惯”里的“对前一个词元的注意力”图给出了每个头的这个数。"},
        live=True)


def most_surprising_token(tokens: list[TokenScore], shown) -> Question:
    """"Which token surprised the model most?": the highest surprisal among a few tokens."""
    order = sorted(range(len(tokens)), key=lambda i: -tokens[i].surprisal_bits)
    best = order[0]
    picks = list(dict.fromkeys([best] + order[len(order) // 2:][:OPTIONS - 1]))
    shuffled = [picks[i] for i in _order(len(picks), seed=len(tokens))]
    return Question(
        "most_surprising",
        {"en": "Which of these tokens surprised the model most (highest surprisal)?",
         "zh": "下面哪个词元最让模型意外（惊异度最高）？"},
        [same_in_every_language(f"#{tokens[i].index} {shown(tokens[i].text)}") for i in shuffled],
        shuffled.index(best),
        {"en": "Surprisal = −log₂ P: the lower the probability the model gave a token, the "
               "taller its bar.",
         "zh": "惊异度 = −log₂ P：模型给一个词元的概率越低，它的柱子越高。"},
        live=True)
