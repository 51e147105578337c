"""LM Lab as a Gradio app (for Hugging Face Spaces and its API), over the same core."""

from __future__ import annotations

import gradio as gr

from lmlab.errors import user_message
from lmlab.generation import GenerationParams, generate_stream
from lmlab.loading import default_store
from lmlab.registry import models_for
from lmlab.sources import is_available


def _default(task: str) -> str:
    specs = models_for(task)
    return next((s.id for s in specs if is_available(s)), specs[0].id)


def generate(prompt: str, model_id: str, max_new_tokens: int = 64):
    """Stream a continuation of `prompt` (yields the text so far)."""
    try:
        loaded = default_store().get(model_id)
        text = ""
        for piece in generate_stream(loaded, prompt, GenerationParams(max_new_tokens=int(max_new_tokens))):
            text += piece
            yield text
    except Exception as error:  # one sentence, never a traceback
        raise gr.Error(user_message(error)) from error


def build_demo() -> gr.Blocks:
    with gr.Blocks(title="LM Lab") as demo:
        gr.Markdown("# 🔬 LM Lab\nSee how language models work by using real ones.")
        with gr.Tab("Text generation"):
            model = gr.Dropdown([s.id for s in models_for("generate")], value=_default("generate"),
                                label="Model")
            prompt = gr.Textbox(label="Prompt", value="Once upon a time,", lines=3)
            max_new = gr.Slider(1, 1024, value=64, step=1, label="Max new tokens")
            output = gr.Textbox(label="Continuation", lines=8)
            gr.Button("Generate", variant="primary").click(
                generate, [prompt, model, max_new], output, api_name="generate")
    return demo


if __name__ == "__main__":
    build_demo().queue().launch()
