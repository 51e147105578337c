"""Token probabilities: how likely the model found each token of a text, and what comes next."""

from __future__ import annotations

import gradio as gr
import pandas as pd

from lmlab.probability import MAX_LENS_TOKENS, prompt_next_logits, score_text, top_next_tokens
from lmlab.viz.tokens import chips_page_html, next_token_bar, surprisal_figure, visible_token
from lmlab_gradio.i18n import L
from lmlab_gradio.common import (EMBEDDED_LM, LM_QUEUE, UI_ONLY, api_endpoint, as_number, as_text,
                                 handler, load, model_dropdown, queued)


def _score(text, model_id, top_k):
    text = as_text(text, "The text")
    top_k = as_number(top_k, "Top-k", 1, 20, integer=True)
    return score_text(load(model_id, "inspect"), text, top_k=top_k)


def score_numbers(score) -> dict:
    """The token lens as plain numbers (what API callers and assistants read)."""
    return {"perplexity": score.perplexity, "mean_nll": score.mean_nll,
            "first_token": score.first_token,
            "tokens": [{"text": t.text, "token_id": t.token_id, "probability": t.prob,
                        "surprisal_bits": t.surprisal_bits, "top": [list(g) for g in t.top]}
                       for t in score.tokens]}


@handler
def token_probabilities(text: str, model_id: str = EMBEDDED_LM, top_k: int = 5) -> dict:
    """How likely a language model found each token of a text, and its perplexity.

    Args:
        text: The text to score; its first token has no context and is not scored.
        model_id: A language model from LM Lab's catalog (default: the embedded SmolLM2).
        top_k: How many of the model's top guesses to list at each position, 1 to 20.
    Returns:
        perplexity = exp(mean_nll); per token its text, token_id, probability, surprisal_bits and the top guesses as [token, probability] pairs.
    """
    return score_numbers(_score(text, model_id, top_k))


@handler
def token_probabilities_view(text, model_id, top_k=5):
    """(summary, chips HTML, surprisal figure, per-token table, raw numbers as JSON)."""
    score = _score(text, model_id, top_k)
    summary = (f"**Perplexity {score.perplexity:,.2f}** = exp(mean negative log-likelihood "
               f"{score.mean_nll:.3f} nats per token) over {len(score.tokens)} predicted tokens. "
               "The first token has no context, so it is not scored.")
    table = pd.DataFrame([{"position": t.index, "token": visible_token(t.text),
                           "probability": round(t.prob, 6),
                           "surprisal (bits)": round(t.surprisal_bits, 3),
                           "model's top guesses": ", ".join(f"{visible_token(g)} {p:.1%}"
                                                            for g, p in t.top)}
                          for t in score.tokens])
    return (summary, chips_page_html(score.tokens, prefix=score.first_token),
            surprisal_figure(score.tokens), table, score_numbers(score))


def _next(text, model_id, temperature, top_k):
    text = as_text(text, "The text")
    temperature = as_number(temperature, "Temperature", 0, 5)
    top_k = as_number(top_k, "Top-k", 1, 100, integer=True)
    loaded = load(model_id, "inspect")
    return top_next_tokens(loaded, prompt_next_logits(loaded, text), temperature, top_k)


def next_numbers(view) -> dict:
    return {"tokens": view.texts, "token_ids": view.token_ids, "probabilities": view.probs,
            "entropy_bits": view.entropy_bits, "rest": view.rest}


@handler
def next_token(text: str, model_id: str = EMBEDDED_LM, temperature: float = 1.0,
               top_k: int = 10) -> dict:
    """A language model's probabilities for the token that comes after a text.

    Args:
        text: The context the model continues, e.g. "The capital of France is".
        model_id: A language model from LM Lab's catalog (default: the embedded SmolLM2).
        temperature: Softmax temperature from 0 to 5; 0 gives the most likely token all the probability.
        top_k: How many of the most likely tokens to return, 1 to 100.
    Returns:
        tokens, token_ids and probabilities (most likely first), entropy_bits of the whole distribution, and rest: the probability all other tokens hold together.
    """
    return next_numbers(_next(text, model_id, temperature, top_k))


@handler
def next_token_view(text, model_id, temperature=1.0, top_k=10):
    """(summary, bars of the most likely next tokens, raw numbers as JSON)."""
    view = _next(text, model_id, temperature, top_k)
    summary = (f"Entropy of the whole distribution: **{view.entropy_bits:.2f} bits** at "
               f"temperature {view.temperature:g}; every token outside the top {len(view.probs)} "
               f"holds {view.rest:.1%} together.")
    return summary, next_token_bar(view), next_numbers(view)


def api() -> None:
    """The API (and MCP) endpoints: numbers only, typed from the signatures."""
    api_endpoint(token_probabilities, "token_probabilities", LM_QUEUE)
    api_endpoint(next_token, "next_token", LM_QUEUE)


def build() -> None:
    with gr.Tab(L("Token probabilities")):
        model = model_dropdown("generate")
        text = gr.Textbox(label=f"Text to score (up to {MAX_LENS_TOKENS:,} tokens)", lines=3,
                          value="The capital of France is Paris. The capital of France is Rome.")
        top_k = gr.Slider(1, 20, value=5, step=1, precision=0, label="Alternatives shown per token")
        run = gr.Button("Score every token", variant="primary")
        summary = gr.Markdown(label="Perplexity")
        chips = gr.HTML(label="Tokens coloured by probability (hover for the model's guesses)")
        figure = gr.Plot(label="Surprisal per token")
        with gr.Accordion("Table and raw numbers", open=False):
            table = gr.Dataframe(label="Per token", wrap=True)
            numbers = gr.JSON(label="Numbers")
        run.click(token_probabilities_view, [text, model, top_k],
                  [summary, chips, figure, table, numbers], **UI_ONLY, **queued(LM_QUEUE))
    with gr.Tab(L("Next token")):
        model = model_dropdown("generate")
        text = gr.Textbox(label="Context", lines=2, value="The cat sat on the")
        with gr.Row():
            temperature = gr.Slider(0.0, 2.0, value=1.0, step=0.05,
                                    label="Temperature (0 = greedy)")
            top_k = gr.Slider(1, 50, value=10, step=1, precision=0, label="Tokens shown")
        run = gr.Button("Predict the next token", variant="primary")
        summary = gr.Markdown(label="Entropy")
        figure = gr.Plot(label="Most likely next tokens")
        with gr.Accordion("Raw numbers (JSON)", open=False):
            numbers = gr.JSON(label="Numbers")
        run.click(next_token_view, [text, model, temperature, top_k], [summary, figure, numbers],
                  **UI_ONLY, **queued(LM_QUEUE))
    api()
