"""Sentiment and text classification: zero-shot from a language model, or a fine-tuned classifier."""

from __future__ import annotations

import gradio as gr

from lmlab import classify
from lmlab.viz.applications import probability_bars
from lmlab_gradio.common import (EMBEDDED_LM, LM_QUEUE, UI_ONLY, api_endpoint, as_text, handler,
                                 load, model_dropdown, queued)

TASKS = ("generate", "classify")  # causal LMs (zero-shot) and fine-tuned classifiers


def _classify(text, labels, model_id):
    text = as_text(text, "The text")
    labels = as_text(labels, "The labels")
    loaded = load(model_id)
    if loaded.spec.kind == "seq-classifier":
        return loaded, classify.classify_finetuned(loaded, text)
    return loaded, classify.zero_shot(loaded, text, labels)


def numbers(loaded, result) -> dict:
    out = {"model": loaded.spec.id, "labels": result.labels, "probabilities": result.probs,
           "best": result.best}
    if isinstance(result, classify.ZeroShotResult):
        out.update(method="zero-shot: next-token probabilities of the labels, renormalized",
                   prompt=result.prompt, label_mass=result.label_mass)
    else:
        out["method"] = "fine-tuned classifier: softmax over its logits"
    return out


@handler
def classify_text(text: str, labels: str = "positive, negative, neutral",
                  model_id: str = EMBEDDED_LM) -> dict:
    """The probability of each label for a text.

    Args:
        text: The text to classify (up to 2,000 characters).
        labels: Two to eight comma-separated labels, for zero-shot classification with a language model (a fine-tuned classifier uses its own classes).
        model_id: A language model (zero-shot) or a sequence classifier from LM Lab's catalog.
    Returns:
        labels and probabilities (summing to 1), the best label, the method; for zero-shot also the prompt and each label's probability before renormalizing (label_mass).
    """
    return numbers(*_classify(text, labels, model_id))


@handler
def classify_view(text, labels, model_id):
    """(bars of the label probabilities, the prompt, raw numbers as JSON)."""
    loaded, result = _classify(text, labels, model_id)
    figure = probability_bars(result.labels, result.probs, f"{loaded.spec.name}: “{result.best}”")
    prompt = getattr(result, "prompt", "(a fine-tuned classifier reads the text alone)")
    return figure, prompt, numbers(loaded, result)


def build() -> None:
    gr.Markdown("Zero-shot: the text goes into a prompt asking for one of the labels; each label "
                "is scored by the probability the model gives it as the next tokens, renormalized "
                "over the labels. A fine-tuned classifier (from the Hub) uses its own classes.")
    with gr.Row():
        text = gr.Textbox("The soup was cold, but the waiter was so kind that we still had a "
                          "lovely evening.", label="Text", lines=3, scale=3,
                          max_length=classify.MAX_TEXT_CHARS)
        with gr.Column(scale=1):
            labels = gr.Textbox("positive, negative, neutral", label="Labels (comma-separated)")
            model = model_dropdown(TASKS)
    run = gr.Button("Classify", variant="primary")
    figure = gr.Plot(label="Probabilities")
    with gr.Accordion("The prompt and raw numbers", open=False):
        prompt = gr.Textbox(label="Prompt the model read", lines=6)
        result = gr.JSON(label="Numbers")
    run.click(classify_view, [text, labels, model], [figure, prompt, result], **UI_ONLY,
              **queued(LM_QUEUE))
    api_endpoint(classify_text, "classify", LM_QUEUE)
