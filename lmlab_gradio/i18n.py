"""The Gradio app in the reader's language, from the same table as the Streamlit app.

Gradio translates in the browser (gr.I18n): the page follows the browser's
language, and Gradio's settings panel lets a reader switch it. Keys are short
digests of the English text, so punctuation in a label never reads as a path.
"""

from __future__ import annotations

import hashlib

import gradio as gr

from lmlab.i18n import table


def key_of(text: str) -> str:
    return "lmlab-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def _build() -> gr.I18n:
    zh = table("zh")
    chinese = {key_of(english): text for english, text in zh.items() if "{" not in english}
    english = {key_of(text): text for text in zh if "{" not in text}
    # Browsers say "zh-CN" or "zh"; both get the simplified Chinese table.
    return gr.I18n(**{"en": english, "zh": chinese, "zh-CN": chinese})


I18N = _build()


def L(text: str):
    """A label Gradio shows in the reader's language (English text without a translation as is)."""
    return I18N(key_of(text)) if text in table("zh") else text
