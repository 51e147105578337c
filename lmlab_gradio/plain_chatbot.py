"""A gr.Chatbot that shows every message as the text it is.

Gradio renders chat messages as markdown and HTML (after a sanitizer that keeps
`<img src=remote>` and forms), so a user or a model could put a remote image or
a login form into the page. Text goes to the browser markdown-escaped
(lmlab.markup), which shows `<img ...>`, `[link](...)` and `**` literally, and
comes back unescaped, so the handler and the model see exactly what was typed.
"""

from __future__ import annotations

import gradio as gr
from gradio.components.chatbot import TextMessage

from lmlab.markup import escape_markdown, unescape_markdown


class PlainChatbot(gr.Chatbot):
    # Drawn by the browser's own Chatbot: Gradio picks the front-end component by class name,
    # and a template component goes by its parent's.
    is_template = True

    def _postprocess_content(self, chat_message):
        if isinstance(chat_message, dict) and chat_message.get("type") == "text":
            chat_message = chat_message.get("text", "")
        if isinstance(chat_message, str):
            return TextMessage(text=escape_markdown(chat_message))
        return super()._postprocess_content(chat_message)

    def _preprocess_content(self, chat_message):
        if isinstance(chat_message, TextMessage):
            return {"type": "text", "text": unescape_markdown(chat_message.text)}
        return super()._preprocess_content(chat_message)
