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
from lmlab_gradio.common import LM_QUEUE, as_number, as_text, handler, load, model_dropdown, queued

ATTENTION_TASKS = ("generate", "embed", "fill-mask")


def iframe(page: str, height: int) -> str:
    """A sandboxed iframe whose srcdoc is the whole bertviz page (scripts run inside only)."""
    return (f'<iframe srcdoc="{html.escape(page, quote=True)}" sandbox="allow-scripts" '
            f'style="width:100%;height:{int(height) + 20}px;border:0" '
            f'title="bertviz attention view"></iframe>')


@handler
def attention(text, model_id, layer=0, head=0, continue_tokens=0, view="head"):
    """(notes, heatmap of one head, bertviz iframe, weights of that head as JSON)."""
    text = as_text(text, "The text")
    continue_tokens = as_number(continue_tokens, "Continuation tokens", 0, MAX_CONTINUATION, True)
    layer = as_number(layer, "Layer", 0, 1000, integer=True)
    head = as_number(head, "Head", 0, 1000, integer=True)
    if view not in VIEWS:
        raise InputError(f"The bertviz view must come from: {'; '.join(VIEWS)}.")
    capture = capture_attention(load(model_id, "inspect"), text, continue_tokens)
    if layer >= capture.n_layers or head >= capture.n_heads:
        raise InputError(f"{capture.model_name} has layers 0–{capture.n_layers - 1} and heads "
                         f"0–{capture.n_heads - 1}; pick a layer and head in those ranges.")
    notes = list(capture.notes)
    if view == "neuron" and not supports_neuron_view(capture):
        notes.append("The neuron view needs a BERT or GPT-2 model; showing the head view.")
        view = "head"
    page = build_view(capture, view, first_layer=layer)
    notes += page.notes
    summary = (f"{capture.model_name}: {capture.n_tokens} tokens "
               f"({capture.n_generated} generated), {capture.n_layers} layers × "
               f"{capture.n_heads} heads. Each row of a head's weights sums to 1"
               f"{'; a decoder only looks back (causal mask)' if capture.causal else ''}.")
    numbers = {"tokens": capture.tokens, "layer": layer, "head": head,
               "n_layers": capture.n_layers, "n_heads": capture.n_heads, "causal": capture.causal,
               "weights": capture.attentions[layer, head].round(5).tolist()}
    return ("\n\n".join([summary, *notes]), attention_heatmap(capture, layer, head),
            iframe(page.html, page.height), numbers)


def build() -> None:
    model = model_dropdown(ATTENTION_TASKS)
    text = gr.Textbox(label=f"Text (up to {MAX_TEXT_CHARS:,} characters; the first 128 tokens "
                            "are shown)", lines=2,
                      value="The animal didn't cross the street because it was too tired.")
    with gr.Row():
        layer = gr.Slider(0, 63, value=0, step=1, label="Layer")
        head = gr.Slider(0, 63, value=0, step=1, label="Head")
        continue_tokens = gr.Slider(0, MAX_CONTINUATION, value=0, step=1,
                                    label="Let the model continue (tokens)")
        view = gr.Radio(list(VIEWS), value="head", label="bertviz view")
    run = gr.Button("Show attention", variant="primary")
    notes = gr.Markdown()
    heatmap = gr.Plot(label="One head")
    bertviz = gr.HTML(label="bertviz")
    with gr.Accordion("Weights of this head (JSON)", open=False):
        numbers = gr.JSON()
    run.click(attention, [text, model, layer, head, continue_tokens, view],
              [notes, heatmap, bertviz, numbers], api_name="attention", **queued(LM_QUEUE))
