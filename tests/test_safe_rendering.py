"""User and model text never becomes markup: error boxes, the Gradio chat, the attention frame."""

from __future__ import annotations

import html
import re

import pytest

from apptest_helpers import open_page
from lmlab.markup import sandboxed_document, sandboxed_frame

markdown_it = pytest.importorskip("markdown_it")
HOSTILE_CHAT = "<img src=http://evil.example/t.png> <form action=http://evil.example>" \
               "<input name=pw></form> [log in](http://evil.example) ![x](http://evil.example/x)"


def test_the_gradio_chat_shows_messages_as_text_and_hands_them_back_unchanged():
    from lmlab_gradio.plain_chatbot import PlainChatbot

    bot = PlainChatbot()
    assert bot.get_block_name() == "chatbot"  # the browser has a component by that name only
    shown = bot.postprocess([{"role": "user", "content": HOSTILE_CHAT},
                             {"role": "assistant", "content": "**sure** " + HOSTILE_CHAT}])
    for message in shown.root:
        rendered = markdown_it.MarkdownIt("gfm-like", {"linkify": False}).render(
            message.content[0].text)
        assert not re.search(r"<(img|form|input|a|strong)\b", rendered), rendered
        assert "evil.example" in html.unescape(rendered)  # still there, as text
    back = bot.preprocess(shown)
    assert [m["content"][0]["text"] for m in back] == [HOSTILE_CHAT, "**sure** " + HOSTILE_CHAT]


def test_sandboxed_frame_has_scripts_but_no_same_origin():
    page = "<script>parent.document.title='owned'</script><p>\"quoted\" & more</p>"
    frame = sandboxed_frame(page, 300)
    assert frame.count("<iframe") == 1 and 'sandbox="allow-scripts"' in frame
    assert "allow-same-origin" not in frame and "<script" not in frame  # only inside srcdoc
    srcdoc = re.search(r'srcdoc="([^"]*)"', frame).group(1)
    assert html.unescape(srcdoc) == page
    document = sandboxed_document(page, 300)
    assert document.startswith("<!doctype html>") and frame in document


def test_the_streamlit_attention_view_is_sandboxed(tiny_catalog):
    at = open_page("pages/attention.py")
    assert not at.exception
    frames = [el.proto for el in at.get("iframe")]
    assert frames, "the attention page shows its bertviz frame"
    for proto in frames:
        outer = proto.srcdoc
        assert outer.count("<iframe") == 1 and 'sandbox="allow-scripts"' in outer
        assert "<script" not in outer  # bertviz's scripts live in the inner, sandboxed frame
        inner = html.unescape(re.search(r'srcdoc="([^"]*)"', outer).group(1))
        assert "window.lmlabData" in inner


def test_streamlit_uploads_are_plain_text_and_small():
    from lmlab.training_data import MAX_UPLOAD_BYTES

    at = open_page("pages/train.py")
    at.selectbox(key="train_corpus").set_value("__upload__").run()
    [uploader] = at.get("file_uploader")
    assert list(uploader.proto.type) == [".txt", ".md"]
    assert uploader.proto.max_upload_size_mb * 1e6 <= MAX_UPLOAD_BYTES * 1.05
