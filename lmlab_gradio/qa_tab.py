"""Question answering from a context: the instruct model with saliency, or an extractive model."""

from __future__ import annotations

import gradio as gr

from lmlab import qa
from lmlab.viz.applications import token_weights_html
from lmlab_gradio.common import (EMBEDDED_LM, LM_QUEUE, UI_ONLY, api_endpoint, as_text, handler,
                                 load, model_dropdown, queued)

TASKS = ("chat", "answer")  # instruct models (generative) and extractive QA models


def _answer(question, context, model_id):
    question = as_text(question, "The question")
    context = as_text(context, "The context")
    loaded = load(model_id, "inspect")  # float32: the saliency takes gradients
    if loaded.spec.kind == "extractive-qa":
        return loaded, qa.extract_answer(loaded, question, context)
    return loaded, qa.generate_answer(loaded, question, context)


def numbers(loaded, result) -> dict:
    if isinstance(result, qa.Span):
        return {"model": loaded.spec.id, "method": "extractive span", "answer": result.answer,
                "start_char": result.start_char, "end_char": result.end_char,
                "start_probability": result.start_prob, "end_probability": result.end_prob,
                "tokens": result.tokens, "start_probabilities": result.start_probs,
                "end_probabilities": result.end_probs}
    return {"model": loaded.spec.id, "method": result.method, "answer": result.answer,
            "tokens": result.tokens, "saliency": result.saliency}


@handler(seconds=120)
def answer(question: str, context: str, model_id: str = EMBEDDED_LM) -> dict:
    """Answer a question from a context.

    Args:
        question: The question, shorter than the context (up to 300 characters).
        context: The text that holds the answer (up to 4,000 characters).
        model_id: An instruct model (writes the answer; saliency per context token) or an extractive QA model (points at a span) from LM Lab's catalog.
    Returns:
        the answer and, per context token, its saliency (gradient × input, summing to 1) or its start and end probabilities with the span's character offsets.
    """
    return numbers(*_answer(question, context, model_id))


@handler(seconds=120)
def answer_view(question, context, model_id):
    """(the answer, the context shaded by saliency or by P(start) + P(end), numbers as JSON)."""
    loaded, result = _answer(question, context, model_id)
    if isinstance(result, qa.Span):
        weights = [s + e for s, e in zip(result.start_probs, result.end_probs)]
        marked = [result.start_token <= i <= result.end_token for i in range(len(result.tokens))]
        shaded = token_weights_html(result.tokens, weights, marked)
    else:
        shaded = token_weights_html(result.tokens, result.saliency)
    return result.answer, shaded, numbers(loaded, result)


def build() -> None:
    gr.Markdown("The instruct model writes an answer from the context, and each context token is "
                "shaded by its saliency (gradient × input of the answer's log-probability). An "
                "extractive model (from the Hub) points at a span instead, shaded by "
                "P(start) + P(end) with the span underlined.")
    context = gr.Textbox("The Eiffel Tower was built for the 1889 World's Fair in Paris. It was "
                         "designed by the engineering company of Gustave Eiffel and is 330 "
                         "metres tall.", label="Context", lines=4, max_length=qa.MAX_CONTEXT_CHARS)
    with gr.Row():
        question = gr.Textbox("Who designed the Eiffel Tower?", label="Question", scale=3,
                              max_length=qa.MAX_QUESTION_CHARS)
        model = model_dropdown(TASKS)
    run = gr.Button("Answer", variant="primary")
    reply = gr.Textbox(label="Answer")
    shaded = gr.HTML(label="Context tokens by saliency")
    with gr.Accordion("Raw numbers (JSON)", open=False):
        result = gr.JSON(label="Numbers")
    run.click(answer_view, [question, context, model], [reply, shaded, result], **UI_ONLY,
              **queued(LM_QUEUE))
    api_endpoint(answer, "answer", LM_QUEUE)
