"""User and model text shown as plain text inside markup.

Streamlit renders messages (st.error, st.info, st.markdown) and Gradio renders
chat messages as markdown: a quoted `[Click here](http://...)` becomes a link,
`![x](http://...)` makes every visitor's browser fetch a URL, `:red[...]` and
`$...$` restyle the page, a bare `www.x.org` or `a@b.org` becomes a link.
CommonMark makes any ASCII punctuation literal after a backslash; escaping the
characters that open markdown constructs (and those that start a line as a list
or heading) shows the text exactly as typed, and leaves digits, commas, dashes
and parentheses inside a sentence alone, so it stays readable in tests and logs.
"""

from __future__ import annotations

import html
import re

_ALWAYS = re.compile(r"([\\`*_\[\]<>|~$:!@#&])")
_LINE_START = re.compile(r"^(\s*)([-+=>]|\d+[.)])", re.MULTILINE)
_WWW = re.compile(r"(?i)\b(www)\.")


def escape_markdown(text: str) -> str:
    """`text` as literal characters in markdown (Streamlit's dialect included)."""
    text = _ALWAYS.sub(r"\\\1", str(text))
    text = _WWW.sub(r"\1\\.", text)
    return _LINE_START.sub(lambda m: m.group(1) + m.group(2)[:-1] + "\\" + m.group(2)[-1], text)


_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def unescape_markdown(text: str) -> str:
    """The text `escape_markdown` was given (it only ever adds a backslash before punctuation)."""
    return _ESCAPED.sub(r"\1", str(text))


def escape_html(text: str, quote: bool = True) -> str:
    """`text` as literal characters inside HTML (quotes too, for attributes, by default)."""
    return html.escape(str(text), quote=quote)


def sandboxed_frame(page: str, height: int, title: str = "interactive view") -> str:
    """An `<iframe>` whose srcdoc is `page`, allowed to run scripts but with an opaque origin:
    code inside it cannot read the page around it, its cookies or its storage."""
    return (f'<iframe srcdoc="{escape_html(page)}" sandbox="allow-scripts" '
            f'style="width:100%;height:{int(height)}px;border:0;display:block" '
            f'title="{escape_html(title)}"></iframe>')


def sandboxed_document(page: str, height: int, title: str = "interactive view") -> str:
    """A whole HTML document holding only `sandboxed_frame(page)`: for hosts such as
    Streamlit's st.iframe whose own frame keeps same-origin access to the app."""
    return ("<!doctype html><html><head><meta charset='utf-8'>"
            "<style>html,body{margin:0;padding:0;overflow:hidden}</style></head><body>"
            + sandboxed_frame(page, height, title) + "</body></html>")
