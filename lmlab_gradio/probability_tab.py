"""Token probabilities: how likely the model found each token of a text, and what comes next."""

from __future__ import annotations

import gradio as gr
import pandas as pd

from lmlab.generation import encode_prompt
from lmlab.probability import (MAX_LENS_TOKENS, entropy_bits, next_token_logits,
                               readable_tokens, score_text, softmax_with_temperature)
from lmlab_gradio.common import LM_QUEUE, as_number, as_text, handler, load, model_dropdown, queued


@handler
def token_probabilities(text, model_id, top_k=5):
    """(summary, per-token table, tokens coloured by surprisal, raw numbers as JSON)."""
    text = as_text(text, "The text")
    top_k = as_number(top_k, "Top-k", 1, 20, integer=True)
    score = score_text(load(model_id, "inspect"), text, top_k=top_k)
    rows = [{"position": t.index, "token": t.text, "probability": round(t.prob, 6),
             "surprisal (bits)": round(t.surprisal_bits, 3),
             "model's top guesses": ", ".join(f"{g!r} {p:.1%}" for g, p in t.top)}
            for t in score.tokens]
    summary = (f"**Perplexity {score.perplexity:,.2f}** = exp(mean negative log-likelihood "
               f"{score.mean_nll:.3f} nats per token) over {len(score.tokens)} predicted tokens. "
               "The first token has no context, so it is not scored.")
    # HighlightedText shades numbers in [-1, 1]: scale surprisal so 10+ bits is darkest.
    spans = [(score.first_token, None)] + [
        (t.text, min(t.surprisal_bits / 10, 1.0)) for t in score.tokens]
    numbers = {"perplexity": score.perplexity, "mean_nll": score.mean_nll,
               "first_token": score.first_token,
               "tokens": [{"text": t.text, "token_id": t.token_id, "probability": t.prob,
                           "surprisal_bits": t.surprisal_bits,
                           "top": [[g, p] for g, p in t.top]} for t in score.tokens]}
    return summary, pd.DataFrame(rows), spans, numbers


@handler
def next_token(text, model_id, temperature=1.0, top_k=10):
    """The model's distribution over the next token: a top-k table and its entropy."""
    text = as_text(text, "The text")
    temperature = as_number(temperature, "Temperature", 0, 5)
    top_k = as_number(top_k, "Top-k", 1, 50, integer=True)
    loaded = load(model_id, "inspect")
    ids = encode_prompt(loaded, text, max_new_tokens=1)  # (1, T)
    probs = softmax_with_temperature(next_token_logits(loaded, ids), temperature)  # (V,)
    top_p, top_ids = probs.topk(top_k)
    tokens = readable_tokens(loaded.tokenizer, top_ids.tolist())
    table = pd.DataFrame({"token": [repr(t) for t in tokens],
                          "probability": [round(float(p), 6) for p in top_p]})
    summary = (f"Entropy of the whole distribution: **{entropy_bits(probs):.2f} bits** "
               f"at temperature {temperature:g}; the top {top_k} tokens hold "
               f"{float(top_p.sum()):.1%} of the probability.")
    return summary, table, {"tokens": tokens, "probabilities": [float(p) for p in top_p],
                            "entropy_bits": entropy_bits(probs)}


def build() -> None:
    with gr.Tab("Token probabilities"):
        model = model_dropdown("generate")
        text = gr.Textbox(label=f"Text to score (up to {MAX_LENS_TOKENS:,} tokens)", lines=3,
                          value="The capital of France is Paris. The capital of France is Rome.")
        top_k = gr.Slider(1, 20, value=5, step=1, label="Alternatives shown per token")
        run = gr.Button("Score every token", variant="primary")
        summary = gr.Markdown()
        shaded = gr.HighlightedText(label="Tokens shaded by surprisal (darker = more surprising)",
                                    show_legend=False, combine_adjacent=False)
        table = gr.Dataframe(label="Per token", wrap=True)
        with gr.Accordion("Raw numbers (JSON)", open=False):
            numbers = gr.JSON()
        run.click(token_probabilities, [text, model, top_k], [summary, table, shaded, numbers],
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
        table = gr.BarPlot(x="token", y="probability", sort="-y", label="Most likely next tokens")
        with gr.Accordion("Raw numbers (JSON)", open=False):
            numbers = gr.JSON()
        run.click(next_token, [text, model, temperature, top_k], [summary, table, numbers],
                  api_name="next_token", **queued(LM_QUEUE))
