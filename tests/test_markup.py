"""Text quoted in messages renders as itself: no link, image, heading or list from input."""

from __future__ import annotations

import pytest

from lmlab.markup import escape_html, escape_markdown

markdown_it = pytest.importorskip("markdown_it")

HOSTILE = [
    "[Click here to log in](http://evil.example/login)",
    "![x](http://evil.example/t.png)",
    "<img src=x onerror=alert(1)>",
    "www.evil.example and someone@evil.example and https://evil.example/",
    "# heading\n- item\n1. first\n> quote\n---",
    "**bold** _it_ `code` ~~gone~~ | a | b |",
    "[ref]: http://evil.example\n[ref]",
    "&lt;b&gt; &#x27;",
]


def render(text: str) -> str:
    # CommonMark + tables + strikethrough (bare-URL linkify needs a package not installed).
    return markdown_it.MarkdownIt("gfm-like", {"linkify": False}).render(text)


@pytest.mark.parametrize("text", HOSTILE)
def test_escaped_text_renders_as_one_plain_paragraph(text):
    out = render(escape_markdown(text))
    for tag in ("<a ", "<img", "<h1", "<li", "<blockquote", "<strong", "<em", "<code",
                "<s>", "<table", "<hr"):
        assert tag not in out, (text, out)
    if "<" in render(text).replace("<p>", "").replace("</p>", ""):
        assert render(text) != out  # the raw text did render as markup


def test_the_text_reads_the_same_after_rendering():
    import html

    for text in HOSTILE + ["The prompt is 2,000 characters (limit 1,000); SmolLM2-135M."]:
        out = render(escape_markdown(text))
        plain = html.unescape(out.replace("<p>", "").replace("</p>", "").replace("<br />", ""))
        assert plain.split() == text.split(), (text, out)


def test_html_escape_covers_attributes():
    assert escape_html('"><svg onload=alert(1)>') == "&quot;&gt;&lt;svg onload=alert(1)&gt;"
