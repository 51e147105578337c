"""Token probabilities: how likely the model found each token of a text, and what comes next."""

from __future__ import annotations

import gradio as gr
import pandas as pd

from lmlab.probability import MAX_LENS_TOKENS, prompt_next_logits, score_text, top_next_tokens
from lmlab.viz.tokens import chips_page_html, next_token_bar, surprisal_figure, visible_token
from lmlab_gradio.common import LM_QUEUE, as_number, as_text, handler, load, model_dropdown, queued


@handler
def token_probabilities(text, model_id, top_k=5):
    """(summary, chips HTML, surprisal figure, per-token table, raw numbers as JSON)."""
    text = as_text(text, "The text")
    top_k = as_number(top_k, "Top-k", 1, 20, integer=True)
    score = score_text(load(model_id, "inspect"), text, top_k=top_k)
    summary = (f"**Perplexity {score.perplexity:,.2f}** = exp(mean negative log-likelihood "
               f"{score.mean_nll:.3f} nats per token) over {len(score.tokens)} predicted tokens. "
               "The first token has no context, so it is not scored.")
    table = pd.DataFrame([{"position": t.index, "token": visible_token(t.text),
                           "probability": round(t.prob, 6),
                           "surprisal (bits)": round(t.surprisal_bits, 3),
                           "model's top guesses": ", ".join(f"{visible_token(g)} {p:.1%}"
                                                            for g, p in t.top)}
                          for t in score.tokens])
    numbers = {"perplexity": score.perplexity, "mean_nll": score.mean_nll,
               "first_token": score.first_token,
               "tokens": [{"text": t.text, "token_id": t.token_id, "probability": t.prob,
                           "surprisal_bits": t.surprisal_bits, "top": [list(g) for g in t.top]}
                          for t in score.tokens]}
    return (summary, chips_page_html(score.tokens, prefix=score.first_token),
            surprisal_figure(score.tokens), table, numbers)


@handler
def next_token(text, model_id, temperature=1.0, top_k=10):
    """The model's distribution over the next token at a temperature: bars and numbers."""
    text = as_text(text, "The text")
    temperature = as_number(temperature, "Temperature", 0, 5)
    top_k = as_number(top_k, "Top-k", 1, 100, integer=True)
    loaded = load(model_id, "inspect")
    view = top_next_tokens(loaded, prompt_next_logits(loaded, text), temperature, top_k)
    summary = (f"Entropy of the whole distribution: **{view.entropy_bits:.2f} bits** at "
               f"temperature {temperature:g}; every token outside the top {top_k} holds "
               f"{view.rest:.1%} together.")
    numbers = {"tokens": view.texts, "token_ids": view.token_ids, "probabilities": view.probs,
               "entropy_bits": view.entropy_bits, "rest": view.rest}
    return summary, next_token_bar(view), numbers


def build() -> None:
    with gr.Tab("Token probabilities"):
        model = model_dropdown("generate")
        text = gr.Textbox(label=f"Text to score (up to {MAX_LENS_TOKENS:,} tokens)", lines=3,
                          value="The capital of France is Paris. The capital of France is Rome.")
        top_k = gr.Slider(1, 20, value=5, step=1, label="Alternatives shown per token")
        run = gr.Button("Score every token", variant="primary")
        summary = gr.Markdown()
        chips = gr.HTML(label="Tokens coloured by probability (hover for the model's guesses)")
        figure = gr.Plot(label="Surprisal per token")
        with gr.Accordion("Table and raw numbers", open=False):
            table = gr.Dataframe(label="Per token", wrap=True)
            numbers = gr.JSON()
        run.click(token_probabilities, [text, model, top_k], [summary, chips, figure, table, numbers],
                  api_name="token_probabilities", **queued(LM_QUEUE))
    with gr.Tab("Next token"):
        model = model_dropdown("generate")
        text = gr.Textbox(label="Context", lines=2, value="The cat sat on the")
        with gr.Row():
            temperature = gr.Slider(0.0, 2.0, value=1.0, step=0.05,
                                    label="Temperature (0 = greedy)")
            top_k = gr.Slider(1, 50, value=10, step=1, label="Tokens shown")
        run = gr.Button("Predict the next token", variant="primary")
        summary = gr.Markdown()
        figure = gr.Plot(label="Most likely next tokens")
        with gr.Accordion("Raw numbers (JSON)", open=False):
            numbers = gr.JSON()
        run.click(next_token, [text, model, temperature, top_k], [summary, figure, numbers],
                  api_name="next_token", **queued(LM_QUEUE))
