"""Decoding lab: the same prompt under several decoding strategies, side by side."""

from __future__ import annotations

import html

import gradio as gr

from lmlab.errors import InputError
from lmlab.generation import MAX_NEW_TOKENS_LIMIT, STRATEGY_PRESETS, compare_strategies
from lmlab.viz.tokens import chips_page_html
from lmlab_gradio.common import (CHECKED_INPUTS, LM_QUEUE, as_number, as_text, handler, load,
                                 model_dropdown, queued)

DEFAULT_STRATEGIES = ["Greedy", "Sampling, temperature 0.7", "Top-p 0.9", "Beam search, 4 beams"]


def results_html(results) -> str:
    """One card per strategy: its settings, its text coloured by token probability."""
    cards = []
    for result in results:
        head = (f"<h4 style='margin:.6em 0 .2em'>{html.escape(result.name)}</h4>"
                f"<div style='color:#666;font-size:.85em'>{html.escape(result.params.strategy_label)}"
                f" · {result.seconds:.2f} s</div>")
        notes = "".join(f"<div style='color:#666'>{html.escape(n)}</div>" for n in result.notes)
        if result.error:
            body = f"<div style='color:#b91c1c'>{html.escape(result.error)}</div>"
        else:
            body = "".join(chips_page_html(out.tokens, legend=False) if out.tokens
                           else f"<div>{html.escape(out.text) or '∅'}</div>" for out in result.outputs)
        cards.append(f"<div style='border:1px solid #ddd;border-radius:8px;padding:4px 12px;"
                     f"margin:6px 0'>{head}{notes}{body}</div>")
    legend = chips_page_html([], legend=True)  # the colour scale, shown once
    return legend + "".join(cards)


def compare_seconds(strategies=DEFAULT_STRATEGIES, max_new_tokens=32, **_arguments) -> float:
    """GPU time: every strategy writes max_new_tokens (beam search counts for several)."""
    return 5 + 0.15 * len(strategies or []) * float(max_new_tokens)


@handler(seconds=compare_seconds)
def compare(prompt, model_id, strategies=DEFAULT_STRATEGIES, max_new_tokens=32, seed=0,
            progress=gr.Progress()):
    """The same prompt continued under several decoding strategies, side by side.

    Args:
        prompt: The text every strategy continues.
        model_id: A language model from LM Lab's catalog (default: the embedded SmolLM2).
        strategies: Names of the strategies to compare (greedy, sampling, top-k, top-p, beams).
        max_new_tokens: New tokens per strategy, 1 to 256.
        seed: One random seed for every strategy.
    Returns:
        Cards with each strategy's text; per strategy its settings, seconds and texts as JSON.
    """
    prompt = as_text(prompt, "The prompt")
    if isinstance(strategies, str):
        strategies = [strategies]
    unknown = [s for s in strategies or [] if s not in STRATEGY_PRESETS]
    if unknown or not isinstance(strategies, list):
        raise InputError(f"Strategies must come from: {', '.join(STRATEGY_PRESETS)}.")
    chosen = {name: STRATEGY_PRESETS[name] for name in strategies}
    loaded = load(model_id)
    results = compare_strategies(
        loaded, prompt, chosen, as_number(max_new_tokens, "Max new tokens", 1, 256, integer=True),
        as_number(seed, "Seed", 0, 2**31 - 1, integer=True),
        on_progress=lambda i, name: progress(i / len(chosen), desc=name))
    numbers = [{"strategy": r.name, "settings": r.params.strategy_label, "seconds": r.seconds,
                "error": r.error, "notes": r.notes, "texts": [o.text for o in r.outputs]}
               for r in results]
    return results_html(results), numbers


def build() -> None:
    model = model_dropdown("generate")
    prompt = gr.Textbox(label="Prompt", lines=2, value="The best thing about learning to code is")
    strategies = gr.CheckboxGroup(list(STRATEGY_PRESETS), value=DEFAULT_STRATEGIES,
                                  label="Strategies to compare")
    with gr.Row():
        max_new = gr.Slider(1, min(256, MAX_NEW_TOKENS_LIMIT), value=32, step=1, precision=0,
                            label="New tokens per strategy (1–256)")
        seed = gr.Number(0, precision=0, minimum=0, label="Seed (the same for every strategy)")
    run = gr.Button("Compare", variant="primary")
    cards = gr.HTML(label="Texts, coloured by token probability")
    with gr.Accordion("Raw texts (JSON)", open=False):
        numbers = gr.JSON(label="Texts per strategy")
    run.click(compare, [prompt, model, strategies, max_new, seed], [cards, numbers],
              api_name="compare_strategies", **queued(LM_QUEUE), **CHECKED_INPUTS)
