"""GloVe calculator: word arithmetic (king − man + woman) on the real 400k GloVe vectors."""

from __future__ import annotations

import gradio as gr

from lmlab import word_arithmetic
from lmlab.errors import InputError
from lmlab.viz.embeddings import neighbour_bars
from lmlab.wordvectors import WordVectors
from lmlab_gradio.common import VECTORS_QUEUE, as_number, as_text, friendly, load, model_dropdown, queued

EXAMPLES = ["king - man + woman", "paris - france + italy", "walked - walk + swim",
            "bigger - big + small", "doctor - man + woman"]


@friendly  # numpy on the CPU: no GPU time needed, even on ZeroGPU
def analogy(expression, model_id="glove-6B-50d", k=10):
    """(bars of the closest words, the answers as JSON) for an expression of words."""
    expression = as_text(expression, "The expression")
    k = as_number(k, "Answers", 1, word_arithmetic.MAX_TOP_K, integer=True)
    vectors = load(model_id).model
    if not isinstance(vectors, WordVectors):
        raise InputError("Pick a word-vector model (GloVe) for the calculator.")
    answers = word_arithmetic.evaluate(vectors, expression, k)
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
        k = gr.Slider(1, word_arithmetic.MAX_TOP_K, value=10, step=1, label="Answers", scale=1)
        model = model_dropdown("word-vectors")
    gr.Examples([[e] for e in EXAMPLES], [expression], label="Try")
    run = gr.Button("Calculate", variant="primary")
    figure = gr.Plot(label="Closest words")
    with gr.Accordion("Answers (JSON)", open=False):
        numbers = gr.JSON()
    run.click(analogy, [expression, model, k], [figure, numbers], api_name="analogy",
              **queued(VECTORS_QUEUE))
    expression.submit(analogy, [expression, model, k], [figure, numbers],
                      api_visibility="private", **queued(VECTORS_QUEUE))
