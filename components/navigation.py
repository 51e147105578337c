"""The table of pages: app.py routes from it, the home page links from it."""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class PageInfo:
    path: str  # relative to the project root
    title: str
    icon: str
    section: str
    blurb: str
    # The file's stem: a server's very first deep link is looked up among the pages/ files
    # (Streamlit's pages-folder mode, before app.py has routed once), and a path that names
    # no file there shows a "Page not found" dialog over the right page.
    url_path: str | None = None


PAGES: list[PageInfo] = [
    PageInfo("pages/home.py", "Home", "🏠", "LM Lab", "What LM Lab is and where to start."),
    PageInfo("pages/generate.py", "Text generation", "✍️", "Use a model",
             "Give a prompt and watch a real language model continue it, token by token.",
             "generate"),
    PageInfo("pages/chat.py", "Chat", "💬", "Use a model",
             "Chat with a real model through its chat template; edit the system prompt, stop, "
             "regenerate.", "chat"),
    PageInfo("pages/next_token.py", "Next token", "🎯", "Look inside",
             "See the model's top guesses for the next token, reshape them with temperature, "
             "and click one to step forward.", "next_token"),
    PageInfo("pages/token_lens.py", "Token probabilities", "🔎", "Look inside",
             "Colour any text by how likely each token was to the model; surprisal and perplexity.",
             "token_lens"),
    PageInfo("pages/train.py", "Training lab", "🏋️", "Train a model",
             "Train a small LSTM and a small Transformer live, fine-tune one, and fill in [MASK].",
             "train"),
    PageInfo("pages/attention.py", "Attention", "🔍", "Look inside",
             "See which words each head of a real model attends to: bertviz views, heatmaps, "
             "head habits and rollout.", "attention"),
    PageInfo("pages/attention_math.py", "Attention math", "🧮", "Look inside",
             "Open one attention weight all the way down on real q, k, v; position encodings, "
             "head knockouts and a worked toy example.", "attention_math"),
    PageInfo("pages/interpret.py", "Look deeper", "🔬", "Look inside",
             "Logit lens, information flow, activation patching and saliency on a real model's "
             "residual stream, for any text.", "interpret"),
    PageInfo("pages/embeddings.py", "Embeddings", "🧭", "Look inside",
             "Map words or sentences from GloVe, MiniLM or a language model's layers in 2D/3D "
             "with PCA, t-SNE or UMAP; nearest neighbours and a similarity heatmap.", "embeddings"),
    PageInfo("pages/glove.py", "GloVe", "➕", "Look inside",
             "Do arithmetic on 400,000 real word vectors (king − man + woman), then train GloVe "
             "from scratch on a small corpus.", "glove"),
    PageInfo("pages/translate.py", "Translate", "🌐", "Use a model",
             "Translate between English and Chinese, German or French, and see which source "
             "words each output word attended to.", "translate"),
    PageInfo("pages/summarize.py", "Summarize", "📝", "Use a model",
             "Summarize a long text in chunks (map-reduce), with the compression ratio and "
             "ROUGE against a reference.", "summarize"),
    PageInfo("pages/classify.py", "Sentiment", "😊", "Use a model",
             "Classify a text three ways: zero-shot from a language model's next-token "
             "probabilities, a fine-tuned classifier, and one trained live on MiniLM.",
             "classify"),
    PageInfo("pages/qa.py", "Question answering", "❓", "Use a model",
             "Ask a question about a text: an extractive model's answer span with start/end "
             "probabilities, or the instruct model's answer with the context coloured by "
             "saliency.", "qa"),
    PageInfo("pages/bias.py", "Bias probe", "⚖️", "Look inside",
             "Measure gender associations: a model's he/she probabilities after occupations, "
             "the GloVe gender direction, and WEAT effect sizes.", "bias"),
    PageInfo("pages/compute.py", "Compute cost", "💰", "Look inside",
             "Parameters, memory, FLOPs per token and tokens/s measured live, and the same "
             "arithmetic for GPT-2, GPT-3 and a 70B model.", "compute"),
]



class _RouterRun(threading.local):
    active = False  # True while app.py runs a page in this script thread


ROUTER_RUN = _RouterRun()


def run_routed(page) -> None:
    """Run the page that st.navigation chose, marked as reached through the router."""
    ROUTER_RUN.active = True
    try:
        page.run()
    finally:
        ROUTER_RUN.active = False


def use_router() -> None:
    """Send a page that Streamlit ran on its own through the router in app.py.

    Streamlit treats a folder named pages/ as an old-style multipage app until
    app.py has called st.navigation once in the server process, so a deep link
    opened first (a teacher's /attention link on a freshly started Space) would
    run the page alone, without LM Lab's menu and sidebar. Switching the process
    to st.navigation and rerunning sends this and every later run through app.py.
    """
    if ROUTER_RUN.active:
        return
    import streamlit as st

    from components.streamlit_internals import route_through_navigation

    route_through_navigation()
    st.rerun()
