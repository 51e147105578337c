"""The Gradio app switches language too, and its attention sliders fit the chosen model."""

from __future__ import annotations

import json
import socket
import urllib.request

from lmlab.i18n import table
from lmlab_gradio.attention_tab import layer_head_ranges
from lmlab_gradio.i18n import I18N, L, key_of


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_tab_labels_reach_the_browser_in_both_languages():
    import gradio_app

    demo = gradio_app.build_demo()
    port = free_port()
    demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=port, quiet=True,
                **gradio_app.LAUNCH_OPTIONS)
    try:
        config = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/config").read())
    finally:
        demo.close()
    tabs = [c["props"]["label"] for c in config["components"] if c.get("type") == "tabitem"]
    marker = "__i18n__"  # how Gradio sends a translated label to the browser
    keys = [json.loads(tab[len(marker):])["key"] for tab in tabs
            if isinstance(tab, str) and tab.startswith(marker)]
    assert len(keys) >= 8  # every tab label goes through the table
    translations = config["i18n_translations"]
    zh = table("zh")
    for locale in ("zh", "zh-CN"):
        assert translations[locale][key_of("Attention")] == zh["Attention"] == "注意力"
    assert translations["en"][key_of("Attention")] == "Attention"
    assert all(key in translations["zh"] for key in keys)


def test_text_without_a_translation_stays_plain():
    assert L("no such label in the table") == "no such label in the table"
    assert I18N(key_of("Chat")).key == key_of("Chat")


def test_attention_sliders_run_to_the_models_own_layers_and_heads(tiny_catalog):
    layers, heads = layer_head_ranges("tiny/llama-chat")
    assert layers["maximum"] == 1 and heads["maximum"] == 3  # 2 layers × 4 heads, not 63
    assert layers["value"] == 0 and heads["value"] == 0
