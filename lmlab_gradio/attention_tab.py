"""Attention: one head's heatmap and the bertviz views, from a real forward pass.

gr.HTML does not run <script>, so the bertviz page goes into an iframe's srcdoc;
the page is self-contained (vendored JavaScript) and its tokens are escaped by
lmlab.viz.bertviz_html, so nothing leaves the machine and no prompt runs code.
"""

from __future__ import annotations

import html

import gradio as gr

from lmlab.attention import MAX_CONTINUATION, MAX_TEXT_CHARS, capture_attention
from lmlab.viz.bertviz_html import VIEWS, build_view, supports_neuron_view
from lmlab.errors import InputError
from lmlab.viz.attention import attention_heatmap
from lmlab_gradio.i18n import L
from lmlab_gradio.common import (EMBEDDED_LM, LM_QUEUE, UI_ONLY, api_endpoint, as_number, as_text,
                                 friendly, handler, load, model_dropdown, queued)

ATTENTION_TASKS = ("generate", "embed", "fill-mask")


def iframe(page: str, height: int) -> str:
    """A sandboxed iframe whose srcdoc is the whole bertviz page (scripts run inside only)."""
    return (f'<iframe srcdoc="{html.escape(page, quote=True)}" sandbox="allow-scripts" '
            f'style="width:100%;height:{int(height) + 20}px;border:0" '
            f'title="bertviz attention view"></iframe>')


def _capture(text, model_id, layer, head, continue_tokens):
    text = as_text(text, "The text")
    continue_tokens = as_number(continue_tokens, "Continuation tokens", 0, MAX_CONTINUATION, True)
    layer = as_number(layer, "Layer", 0, 1000, integer=True)
    head = as_number(head, "Head", 0, 1000, integer=True)
    capture = capture_attention(load(model_id, "inspect"), text, continue_tokens)
    if layer >= capture.n_layers or head >= capture.n_heads:
        raise InputError(f"{capture.model_name} has layers 0–{capture.n_layers - 1} and heads "
                         f"0–{capture.n_heads - 1}; pick a layer and head in those ranges.")
    return capture, layer, head


def summary_line(capture) -> str:
    return (f"{capture.model_name}: {capture.n_tokens} tokens "
            f"({capture.n_generated} generated), {capture.n_layers} layers × "
            f"{capture.n_heads} heads. Each row of a head's weights sums to 1"
            f"{'; a decoder only looks back (causal mask)' if capture.causal else ''}.")


def head_numbers(capture, layer: int, head: int) -> dict:
    """One head's weights (T, T), rounded to 1e-5: about 30 KB for 64 tokens."""
    return {"tokens": capture.tokens, "layer": layer, "head": head,
            "n_layers": capture.n_layers, "n_heads": capture.n_heads, "causal": capture.causal,
            "weights": capture.attentions[layer, head].round(5).tolist()}


@handler
def attention(text: str, model_id: str = EMBEDDED_LM, layer: int = 0, head: int = 0,
              continue_tokens: int = 0) -> dict:
    """The attention weights of one head of a model over a text (row i: where token i looks).

    Args:
        text: The text the model reads; the first 128 tokens are kept.
        model_id: A language model or encoder from LM Lab's catalog (default: the embedded SmolLM2).
        layer: The layer, counted from 0.
        head: The attention head in that layer, counted from 0.
        continue_tokens: Let the model first continue the text by this many tokens (0 to 64).
    Returns:
        tokens; weights as a tokens × tokens list of rows that each sum to 1; layer, head, n_layers, n_heads, causal, and notes.
    """
    capture, layer, head = _capture(text, model_id, layer, head, continue_tokens)
    return {**head_numbers(capture, layer, head), "notes": [summary_line(capture), *capture.notes]}


@handler
def attention_view(text, model_id, layer=0, head=0, continue_tokens=0, view="head"):
    """(notes, heatmap of one head, bertviz iframe, weights of that head as JSON)."""
    if view not in VIEWS:
        raise InputError(f"The bertviz view must come from: {'; '.join(VIEWS)}.")
    capture, layer, head = _capture(text, model_id, layer, head, continue_tokens)
    notes = list(capture.notes)
    if view == "neuron" and not supports_neuron_view(capture):
        notes.append("The neuron view needs a BERT or GPT-2 model; showing the head view.")
        view = "head"
    page = build_view(capture, view, first_layer=layer)
    notes += page.notes
    return ("\n\n".join([summary_line(capture), *notes]), attention_heatmap(capture, layer, head),
            iframe(page.html, page.height), head_numbers(capture, layer, head))


def layer_head_ranges(model_id) -> tuple[dict, dict]:
    """Slider updates that run 0 … n_layers − 1 and 0 … n_heads − 1 for the chosen model.

    Without them the sliders ran to 63 for every model (SmolLM2 has 30 layers × 9 heads).
    """
    config = load(model_id, "inspect").model.config
    layers = getattr(config, "num_hidden_layers", None) or getattr(config, "n_layer")
    heads = getattr(config, "num_attention_heads", None) or getattr(config, "n_head")
    return (gr.update(maximum=int(layers) - 1, value=0),
            gr.update(maximum=int(heads) - 1, value=0))


def build() -> None:
    model = model_dropdown(ATTENTION_TASKS)
    text = gr.Textbox(label=f"Text (up to {MAX_TEXT_CHARS:,} characters; the first 128 tokens "
                            "are shown)", lines=2,
                      value="The animal didn't cross the street because it was too tired.")
    with gr.Row():
        layer = gr.Slider(0, 63, value=0, step=1, precision=0, label=L("Layer"))
        head = gr.Slider(0, 63, value=0, step=1, precision=0, label=L("Head"))
        continue_tokens = gr.Slider(0, MAX_CONTINUATION, value=0, step=1, precision=0,
                                    label="Let the model continue (tokens)")
        view = gr.Radio(list(VIEWS), value="head", label="bertviz view")
    run = gr.Button(L("Show attention"), variant="primary")
    notes = gr.Markdown(label="Notes")
    heatmap = gr.Plot(label=L("One head"))
    bertviz = gr.HTML(label="bertviz")
    with gr.Accordion("Weights of this head (JSON)", open=False):
        numbers = gr.JSON(label="Weights of this head")
    run.click(attention_view, [text, model, layer, head, continue_tokens, view],
              [notes, heatmap, bertviz, numbers], **UI_ONLY, **queued(LM_QUEUE))
    api_endpoint(attention, "attention", LM_QUEUE)
    # On page load and whenever another model is chosen.
    gr.on(triggers=None, fn=friendly(layer_head_ranges), inputs=[model], outputs=[layer, head],
          api_visibility="private", queue=False)
