"""Quiz questions for the applications pages, answered by the live model's numbers.

As in lmlab.quiz_answers, each builder takes what a page has already computed
(class probabilities, pronoun probabilities, saliency, the counted parameters),
so the right option is whatever the model gave, not a key written by hand.
A builder returns None when there is too little to ask about (one occupation).
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from lmlab.compute import human_bytes, memory_bytes
from lmlab.quiz import Question, same_in_every_language
from lmlab.quiz_answers import far_options, option_order


def top_label(labels: Sequence[str], probs: Sequence[float]) -> Question | None:
    """"Which label did the model rank first?": the argmax of the zero-shot probabilities."""
    if len(labels) < 2:
        return None
    order = [int(i) for i in np.argsort(-np.asarray(probs, dtype=float), kind="stable")]
    shuffled, answer = far_options(order, seed=order[0] + len(labels))
    return Question(
        "zero_shot_label",
        {"en": "For this text, which label did the language model give the highest probability?",
         "zh": "对这段文字，语言模型给哪个标签的概率最高？"},
        [same_in_every_language(labels[i]) for i in shuffled], answer,
        {"en": "The zero-shot bars are the model's next-token probabilities of the labels, "
               "renormalized so they sum to 1; the longest bar is its answer.",
         "zh": "零样本的柱子是模型把各个标签作为下一个词元的概率，重新归一化后加起来等于 1；"
               "最长的柱子就是它的答案。"},
        live=True)


def most_she_leaning(occupations: Sequence[str], log2_ratios: Sequence[float]
                     ) -> Question | None:
    """"After which occupation is “she” likeliest relative to “he”?": the lowest log2 ratio."""
    if len(occupations) < 2:
        return None
    order = [int(i) for i in np.argsort(np.asarray(log2_ratios, dtype=float), kind="stable")]
    shuffled, answer = far_options(order, seed=len(occupations))
    return Question(
        "most_she_leaning",
        {"en": "After which occupation does this model find “she” likeliest compared with "
               "“he” (the lowest log₂ P(he)/P(she))?",
         "zh": "在哪个职业之后，这个模型认为“她”（she）相对“他”（he）最可能"
               "（log₂（P(他) / P(她)）最低）？"},
        [same_in_every_language(occupations[i]) for i in shuffled], answer,
        {"en": "The sentences differ only in the occupation, so the difference comes from that "
               "word: the ratio is read from the model's two probabilities.",
         "zh": "这些句子只有职业不同，所以差别来自这个词：比值由模型给出的两个概率算出。"},
        live=True)


def most_salient_token(tokens: Sequence[str], saliency: Sequence[float],
                       shown: Callable[[str], str] = str) -> Question | None:
    """"Which context token mattered most to the answer?": the highest saliency."""
    if len(tokens) < 2:
        return None
    order = [int(i) for i in np.argsort(-np.asarray(saliency, dtype=float), kind="stable")]
    shuffled, answer = far_options(order, seed=len(tokens))
    return Question(
        "most_salient_token",
        {"en": "Which context token had the highest saliency for the model's answer?",
         "zh": "对模型的答案，哪个上下文词元的显著性最高？"},
        [same_in_every_language(f"#{i} {shown(tokens[i])}") for i in shuffled], answer,
        {"en": "Saliency is gradient × input of the answer's log-probability: the brightest "
               "token in the coloured context.",
         "zh": "显著性是答案对数概率的梯度 × 输入：着色上下文中最亮的那个词元。"},
        live=True)


def float16_memory(parameters: int) -> Question:
    """"How much memory do these weights need in float16?": 2 bytes × the counted parameters."""
    memory = memory_bytes(parameters)
    formats = ["int4", "int8", "float16", "float32"]
    shuffled = [formats[i] for i in option_order(len(formats), seed=parameters % 9973)]
    count = f"{parameters:,}"
    return Question(
        "float16_memory",
        {"en": f"The loaded model has {count} parameters. How much memory do its weights "
               "need in float16 (2 bytes per number)?",
         "zh": f"加载的模型有 {count} 个参数。用 float16（每个数 2 字节）存放，它的权重需要多少内存？"},
        [same_in_every_language(human_bytes(memory[f])) for f in shuffled],
        shuffled.index("float16"),
        {"en": "Memory = parameters × bytes per number; the model's own count is in the "
               "Parameters box above.",
         "zh": "内存 = 参数个数 × 每个数的字节数；模型自己的参数个数在上面的“参数”一栏。"},
        live=True)
