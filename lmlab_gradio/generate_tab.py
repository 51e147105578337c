"""Generation lab: a prompt in, a streamed continuation out, with the decoding knobs."""

from __future__ import annotations

from contextlib import closing

import gradio as gr

from lmlab.errors import InputError
from lmlab.generation import (MAX_NEW_TOKENS_LIMIT, MAX_PROMPT_CHARS, GenerationParams,
                              generate_stream, normalize_params)
from lmlab_gradio.common import (CHECKED_INPUTS, LM_QUEUE, as_number, as_text, handler, load,
                                 model_dropdown, queued, seconds_for_tokens)

STRATEGIES = ["greedy", "sample"]


def decoding_params(max_new_tokens, strategy, temperature, top_k, top_p, seed) -> GenerationParams:
    """GenerationParams from loosely typed API/UI values, with one sentence per bad value."""
    if strategy not in STRATEGIES:
        raise InputError(f"Decoding must come from: {'; '.join(STRATEGIES)}.")
    return GenerationParams(
        max_new_tokens=as_number(max_new_tokens, "Max new tokens", 1, MAX_NEW_TOKENS_LIMIT, True),
        do_sample=strategy == "sample",
        temperature=as_number(temperature, "Temperature", 0, 5),
        top_k=as_number(top_k, "Top-k", 0, 100_000, True),
        top_p=as_number(top_p, "Top-p", 0, 1),
        seed=as_number(seed, "Seed", 0, 2**31 - 1, True))


@handler(seconds=seconds_for_tokens(0.05))
def generate(prompt, model_id, max_new_tokens=64, strategy="greedy", temperature=0.8, top_k=50,
             top_p=0.95, seed=0):
    """Stream a model's continuation of a prompt.

    Args:
        prompt: The text the model continues.
        model_id: A language model from LM Lab's catalog (default: the embedded SmolLM2).
        max_new_tokens: How many tokens to add at most.
        strategy: "greedy" (always the most likely token) or "sample".
        temperature: Sampling temperature (sample only); lower is more predictable.
        top_k: Sample only among the k most likely tokens; 0 turns it off.
        top_p: Sample only among the most likely tokens that together hold this probability.
        seed: The random seed, so a sampled text can be drawn again.
    Returns:
        The continuation so far (streamed).
    """
    prompt = as_text(prompt, "The prompt")
    params, notes = normalize_params(
        decoding_params(max_new_tokens, strategy, temperature, top_k, top_p, seed))
    for note in notes:
        gr.Info(note)
    loaded = load(model_id)
    text = ""
    with closing(generate_stream(loaded, prompt, params)) as pieces:  # a cancel ends the worker
        for piece in pieces:
            text += piece
            yield text


def build() -> None:
    with gr.Row():
        with gr.Column(scale=3):
            model = model_dropdown("generate")
            prompt = gr.Textbox(label=f"Prompt (up to {MAX_PROMPT_CHARS:,} characters)", lines=4,
                                value="Once upon a time, in a small village by the sea,",
                                max_length=MAX_PROMPT_CHARS)
            with gr.Row():
                run = gr.Button("Generate", variant="primary")
                stop = gr.Button("Stop")
            output = gr.Textbox(label="Continuation", lines=10, buttons=["copy"])
        with gr.Column(scale=2):
            strategy = gr.Radio(STRATEGIES, value="greedy", label="Decoding",
                                info="greedy: always the most likely token; sample: draw from "
                                     "the distribution shaped by the knobs below")
            max_new = gr.Slider(1, MAX_NEW_TOKENS_LIMIT, value=64, step=1, precision=0,
                                label=f"Max new tokens (1–{MAX_NEW_TOKENS_LIMIT})")
            temperature = gr.Slider(0.05, 2.0, value=0.8, step=0.05, label="Temperature")
            top_k = gr.Slider(0, 200, value=50, step=1, precision=0, label="Top-k (0 = off)")
            top_p = gr.Slider(0.05, 1.0, value=0.95, step=0.05, label="Top-p")
            seed = gr.Number(0, precision=0, minimum=0, label="Seed")
    event = run.click(generate, [prompt, model, max_new, strategy, temperature, top_k, top_p, seed],
                      output, api_name="generate", **queued(LM_QUEUE), **CHECKED_INPUTS)
    stop.click(None, cancels=[event])
