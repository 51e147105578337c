"""GloVe calculator: word arithmetic (king − man + woman) on the real 400k GloVe vectors."""

from __future__ import annotations

import gradio as gr

from lmlab import word_arithmetic
from lmlab.errors import InputError
from lmlab.viz.embeddings import neighbour_bars
from lmlab.wordvectors import WordVectors
from lmlab_gradio.common import (UI_ONLY, VECTORS_QUEUE, api_endpoint, as_number, as_text, friendly,
                                 load, model_dropdown, queued)

EXAMPLES = ["king - man + woman", "paris - france + italy", "walked - walk + swim",
            "bigger - big + small", "doctor - man + woman"]


def _answers(expression, model_id, k):
    expression = as_text(expression, "The expression")
    k = as_number(k, "Answers", 1, word_arithmetic.MAX_TOP_K, integer=True)
    vectors = load(model_id).model
    if not isinstance(vectors, WordVectors):
        raise InputError("Pick a word-vector model (GloVe) for the calculator.")
    return expression, word_arithmetic.evaluate(vectors, expression, k)


@friendly  # numpy on the CPU: no GPU time needed, even on ZeroGPU
def analogy(expression: str, model_id: str = "glove-6B-50d", k: int = 10) -> dict:
    """Word arithmetic on GloVe vectors: the words closest to e.g. king - man + woman.

    Args:
        expression: Words joined by + and - (a number before a word weighs it), e.g. "paris - france + italy".
        model_id: A word-vector model from LM Lab's catalog (default: the 400k GloVe 6B 50d vectors).
        k: How many answers to return, most similar first.
    Returns:
        expression, and answers: word and cosine similarity to the result (the words typed are left out).
    """
    expression, answers = _answers(expression, model_id, k)
    return {"expression": expression.strip(),
            "answers": [{"word": a.word, "cosine": a.cosine} for a in answers]}


@friendly
def analogy_view(expression, model_id="glove-6B-50d", k=10):
    """(bars of the closest words, the answers as JSON) for an expression of words."""
    expression, answers = _answers(expression, model_id, k)
    figure = neighbour_bars([a.word for a in answers], [a.cosine for a in answers],
                            f"{expression.strip()} ≈ {answers[0].word}")
    return figure, [{"word": a.word, "cosine": a.cosine} for a in answers]


def build() -> None:
    gr.Markdown("Type words joined by + and − (a number before a word weighs it). The answers "
                "are the words whose vectors point closest to the result (cosine similarity); "
                "the words you typed are left out.")
    with gr.Row():
        expression = gr.Textbox("king - man + woman", label="Expression", scale=3,
                                max_length=word_arithmetic.MAX_EXPRESSION_CHARS)
        k = gr.Slider(1, word_arithmetic.MAX_TOP_K, value=10, step=1, precision=0, label="Answers",
                      scale=1)
        model = model_dropdown("word-vectors")
    gr.Examples([[e] for e in EXAMPLES], [expression], label="Try")
    run = gr.Button("Calculate", variant="primary")
    figure = gr.Plot(label="Closest words")
    with gr.Accordion("Answers (JSON)", open=False):
        numbers = gr.JSON(label="Answers")
    for event in (run.click, expression.submit):
        event(analogy_view, [expression, model, k], [figure, numbers], **UI_ONLY,
              **queued(VECTORS_QUEUE))
    api_endpoint(analogy, "analogy", VECTORS_QUEUE)
