"""LM Lab as a Gradio app (Hugging Face Spaces, ZeroGPU, and an API), over the same core.

Every tab lives in lmlab_gradio/ and calls the lmlab functions the Streamlit
pages call. Run it with `make gradio` or `python gradio_app.py`.
"""

from __future__ import annotations

import importlib.util
import os

import gradio as gr

from lmlab_gradio import (attention_tab, chat_tab, classify_tab, decoding_tab, generate_tab,
                          glove_tab, probability_tab, qa_tab, seq2seq_tab)
from lmlab.external_engine import generation_source
from lmlab.logs import setup_logging
from lmlab_gradio import startup
from lmlab_gradio.i18n import I18N, L
from lmlab_gradio.common import CONCURRENCY_LIMIT, ZERO_GPU

TITLE = "# 🔬 LM Lab\nSee how language models work by using real ones and looking inside them."
# System fonts: a classroom behind a firewall must not wait on a font CDN.
THEME = gr.themes.Soft(font=["ui-sans-serif", "system-ui", "sans-serif"],
                       font_mono=["ui-monospace", "monospace"])
# No tab takes a file: Gradio's upload route still exists, so it is capped hard.
MAX_UPLOAD = "1mb"
LAUNCH_OPTIONS = dict(theme=THEME, max_file_size=MAX_UPLOAD, i18n=I18N)  # tabs in the reader's language


def text_source_line() -> str:
    """Where chat and generation come from; gr.Markdown re-reads it on every page load."""
    source = generation_source()
    line = "Text from: `" + source.label.replace("`", "'") + "`"
    if source.external:
        line += (" · the Attention and probability tabs look inside the copy of the model "
                 "on this machine")
    if source.notice:
        line += f"  \n⚠️ {source.notice}"
    return line


def build_demo() -> gr.Blocks:
    with gr.Blocks(title="LM Lab", analytics_enabled=False) as demo:
        gr.Markdown(TITLE)
        gr.Markdown(text_source_line, label="Where text comes from")
        with gr.Tab(L("Chat")):
            chat_tab.build(demo)
        with gr.Tab(L("Text generation")):
            generate_tab.build()
        with gr.Tab(L("Decoding lab")):
            decoding_tab.build()
        with gr.Tab(L("Translate")):
            seq2seq_tab.build_translate()
        with gr.Tab(L("Summarize")):
            seq2seq_tab.build_summarize()
        probability_tab.build()
        with gr.Tab(L("Attention")):
            attention_tab.build()
        with gr.Tab(L("GloVe calculator")):
            glove_tab.build()
        with gr.Tab(L("Sentiment")):
            classify_tab.build()
        with gr.Tab(L("Question answering")):
            qa_tab.build()
    # Model events wait in their per-model queues (lmlab_gradio.common); a full queue
    # answers at once rather than leaving a classroom waiting for minutes.
    demo.queue(default_concurrency_limit=CONCURRENCY_LIMIT, max_size=64)
    return demo


def mcp_available() -> bool:
    """gradio[mcp] installed (the `mcp` extra): the app serves its API as MCP tools too."""
    return importlib.util.find_spec("mcp") is not None


def launch_options() -> dict:
    """demo.launch() keywords: MCP on when its extra is installed, unless GRADIO_MCP_SERVER
    (Gradio's own setting) says otherwise."""
    options = dict(LAUNCH_OPTIONS)
    if not os.environ.get("GRADIO_MCP_SERVER"):
        options["mcp_server"] = mcp_available()
    return options


def main() -> None:
    """Serve the app (GRADIO_SERVER_PORT, GRADIO_SHARE, GRADIO_MCP_SERVER are Gradio's own)."""
    build_demo().launch(**launch_options())


setup_logging()
if ZERO_GPU:
    # ZeroGPU forks a worker per GPU request: load the models now, at module level,
    # so the workers find them on the GPU instead of loading them in GPU time.
    startup.zero_gpu_environment()
    startup.preload()

if __name__ == "__main__":
    main()
