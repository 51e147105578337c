"""The bertviz page: offline scripts, escaped user text, compact weights, size caps."""

import base64
import json
import re
from html.parser import HTMLParser

import numpy as np
import pytest

from lmlab.viz import bertviz_html as bv
from lmlab.attention import AttentionCapture, capture_attention

HOSTILE = ["<img src=x onerror=alert(1)>", "</script><script>alert(1)</script>", "<!--", "&amp;",
           "\u2028"]


def fake_capture(layers=2, heads=3, tokens=None, causal=True, dim=0, seed=0) -> AttentionCapture:
    tokens = tokens or [f"w{i}" for i in range(5)]
    T = len(tokens)
    rng = np.random.default_rng(seed)
    raw = rng.random((layers, heads, T, T))
    if causal:
        raw = raw * np.tril(np.ones((T, T)))
    weights = (raw / raw.sum(-1, keepdims=True)).astype(np.float32)
    qk = (rng.normal(size=(layers, heads, T, dim)).astype(np.float32) if dim else None)
    return AttentionCapture(model_name="Test <model>", model_type="gpt2" if dim else "llama",
                            causal=causal, token_ids=list(range(T)), tokens=tokens,
                            attentions=weights, n_prompt=T, n_text_tokens=T, queries=qk,
                            keys=None if qk is None else qk * 0.5)


class Tags(HTMLParser):
    """What a browser's parser sees: start tags with their attributes, script bodies."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.tags, self.scripts, self._in_script = [], [], False
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "script":
            self._in_script = True
            self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts[-1] += data


SCRIPTS_PER_PAGE = 7  # d3, jQuery, require.js, AMD names, data, decoder, bertviz view


def embedded_data(page_html: str) -> dict:
    match = re.search(r"<script>window\.lmlabData = (.*?);</script>", page_html, re.DOTALL)
    return json.loads(match.group(1))


def decode_weights(part: dict) -> np.ndarray:
    raw = np.frombuffer(base64.b64decode(part["b64"]), dtype=np.uint8)
    return raw.reshape(part["dims"]) / 255


@pytest.mark.parametrize("view", bv.VIEWS)
@pytest.mark.parametrize("theme", bv.THEMES)
def test_no_script_is_fetched_from_the_internet(view, theme):
    page = bv.build_view(fake_capture(dim=4), view, theme=theme).html
    parsed = Tags(page)
    scripts = [attrs for tag, attrs in parsed.tags if tag == "script"]
    assert len(scripts) == SCRIPTS_PER_PAGE and all(a == {} for a in scripts)  # all inline
    assert not any("src" in attrs or "href" in attrs for _, attrs in parsed.tags)
    assert "cdnjs" not in page and "require.config" not in page
    # The only URLs left are XML namespace names (d3, jQuery), licence and source links in
    # comments, and the link require.js prints in its error messages: nothing to fetch.
    allowed = ("http://www.w3.org/", "http://www.apache.org/licenses/", "https://github.com/",
               "https://d3js.org", "https://requirejs.org/docs/errors.html")
    urls = re.findall(r"https?://[^\s\"')]*", page)
    assert [u for u in urls if not u.startswith(allowed)] == []
    # The three libraries bertviz needs are inside the page itself.
    assert "RequireJS 2.3.6" in page and "d3js.org v5.7.0" in page and "jQuery v2.2.4" in page


def test_vendored_files_can_sit_inside_a_script_element():
    for name in bv.VENDOR_FILES:
        text = (bv.VENDOR / name).read_text(encoding="utf-8")
        assert "</script" not in text.lower() and "<!--" not in text
        assert name.split("-")[1].removesuffix(".min.js") in (bv.VENDOR / "README.md").read_text()


def test_user_text_cannot_leave_the_json():
    tokens = ["ok", *HOSTILE]
    page = bv.build_view(fake_capture(tokens=tokens), "head").html
    # A browser's parser sees only our own elements: no token ends a script or adds a tag.
    parsed = Tags(page)
    assert [t for t, _ in parsed.tags].count("script") == SCRIPTS_PER_PAGE
    assert "img" not in [t for t, _ in parsed.tags]
    assert "<!--" not in page
    assert "\u2028" not in page
    data = embedded_data(page)
    part = data["params"]["attention"]["0"]
    assert part["left_text"] == tokens and part["right_text"] == tokens  # round trip intact
    # The model name goes into the <title>: escaped as HTML.
    assert "<title>Test &lt;model&gt;" in page


def test_weights_travel_as_bytes_within_half_a_level():
    capture = fake_capture(layers=3, heads=2)
    page = bv.build_view(capture, "head").html
    part = embedded_data(page)["params"]["attention"]["0"]["attn"]
    np.testing.assert_allclose(decode_weights(part), capture.attentions, atol=0.5 / 255 + 1e-7)


def test_vectors_travel_with_one_scale_per_layer():
    vectors = np.random.default_rng(1).normal(size=(2, 3, 4, 8)).astype(np.float32)
    packed = bv.encode_vectors(vectors)
    raw = np.frombuffer(base64.b64decode(packed["b64"]), np.uint8).reshape(packed["dims"])
    scales = np.array(packed["scales"])[:, None, None, None]
    decoded = (raw.astype(float) - 128) * scales / 127
    np.testing.assert_allclose(decoded, vectors, atol=float(scales.max()) / 254 + 1e-4)


def test_128_tokens_of_smollm2_shape_fit_in_2_mb_with_a_note():
    tokens = [f"t{i}" for i in range(128)]
    capture = fake_capture(layers=30, heads=9, tokens=tokens)
    view = bv.build_view(capture, "head")
    assert view.nbytes <= bv.MAX_PAYLOAD_BYTES
    assert 1 < len(view.layers) < 30 and view.layers[0] == 0
    assert any("Showing layers 0–" in n for n in view.notes)
    later = bv.build_view(capture, "head", first_layer=20)
    assert later.layers[0] == 20 and later.nbytes <= bv.MAX_PAYLOAD_BYTES
    params = embedded_data(later.html)["params"]
    assert params["include_layers"] == later.layers and params["layer"] == 20


def test_short_texts_carry_every_layer():
    view = bv.build_view(fake_capture(layers=30, heads=9), "head")
    assert view.layers == list(range(30)) and not view.notes


def test_model_and_neuron_views_cap_tokens_and_say_so():
    tokens = [f"t{i}" for i in range(60)]
    capture = fake_capture(layers=8, heads=4, tokens=tokens, dim=8)
    model = bv.build_view(capture, "model")
    assert model.n_tokens == bv.MODEL_VIEW_MAX_TOKENS
    assert len(model.layers) == bv.MODEL_VIEW_MAX_LAYERS
    assert any(f"first {bv.MODEL_VIEW_MAX_TOKENS} of 60" in n for n in model.notes)
    neuron = bv.build_view(capture, "neuron", first_layer=5)
    assert neuron.n_tokens == bv.NEURON_VIEW_MAX_TOKENS and neuron.layers[0] == 0
    part = embedded_data(neuron.html)["params"]["attention"]["all"]
    assert part["queries"]["dims"] == [8, 4, bv.NEURON_VIEW_MAX_TOKENS, 8]


def test_neuron_view_needs_bert_or_gpt2_vectors():
    assert not bv.supports_neuron_view(fake_capture())
    with pytest.raises(ValueError):
        bv.build_view(fake_capture(), "neuron")
    assert bv.supports_neuron_view(fake_capture(dim=4))


def test_height_follows_the_tokens():
    short = bv.build_view(fake_capture(tokens=["a"] * 5), "head")
    long = bv.build_view(fake_capture(tokens=["a"] * 50), "head")
    assert long.height - short.height == pytest.approx(45 * 22.5, abs=1)


def test_dark_theme_is_dark():
    capture = fake_capture(dim=4)
    assert "background:#0e1117" in bv.build_view(capture, "head", theme="dark").html
    assert "background:#fff" in bv.build_view(capture, "head", theme="light").html
    params = embedded_data(bv.build_view(capture, "neuron", theme="dark").html)["params"]
    assert params["display_mode"] == "dark"


def test_real_tiny_models_build_every_view(store):
    for model_id in ("tiny/gpt2", "tiny/bert", "tiny/llama-chat"):
        capture = capture_attention(store.get(model_id, "inspect"), "the cat <b>sat</b>")
        for view in bv.VIEWS:
            if view == "neuron" and not bv.supports_neuron_view(capture):
                continue
            page = bv.build_view(capture, view)
            assert embedded_data(page.html)["params"]["attention"]
            assert "<b>" not in page.html
