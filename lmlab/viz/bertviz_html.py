"""bertviz's head, model and neuron views as one self-contained, offline HTML page.

bertviz draws with d3 but loads require.js, d3 and jQuery from CDNs and
prints every weight at full float precision (123 MB for SmolLM2 on 128
tokens). Here the vendored copies in assets/vendor/ are inlined, bertviz's
own view scripts are reused with their CDN config removed, and the weights
travel as base64 bytes (256 levels: plenty for line opacity) decoded in the
page. Layers and tokens are capped so a page stays under MAX_PAYLOAD_BYTES.

User text (the tokens) only ever reaches the page as JSON in which every
'<', '>' and '&' is a \\u escape, so no token can end the <script> element;
bertviz then draws tokens with d3's .text(), which does not parse HTML.
"""

from __future__ import annotations

import base64
import functools
import html
import importlib.util
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lmlab.attention import NEURON_VIEW_TYPES, AttentionCapture

VENDOR = Path(__file__).resolve().parents[2] / "assets" / "vendor"
# Loaded before require.js, so each sets its global (window.d3, window.jQuery)
# instead of registering an anonymous AMD module; then named modules wrap them.
VENDOR_FILES = ("d3-5.7.0.min.js", "jquery-2.2.4.min.js", "require-2.3.6.min.js")
VIEWS = ("head", "model", "neuron")
THEMES = ("light", "dark")
MAX_PAYLOAD_BYTES = 2_000_000
MODEL_VIEW_MAX_TOKENS = 32  # thumbnails grow with tokens^2: past this they are unreadable
MODEL_VIEW_MAX_LAYERS = 6
NEURON_VIEW_MAX_TOKENS = 40
ROOT_ID = "bertviz-lmlab"

_REQUIRE_CONFIG = re.compile(r"require\.config\(\{.*?\}\);", re.DOTALL)

# Turns the compact payload back into the nested arrays bertviz expects.
_DECODER_JS = """
function lmlabBytes(b64) {
  const bin = atob(b64), out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
function lmlabNest(bytes, dims, scales, signed) {  // (L, H, A, B) bytes -> nested floats
  const [L, H, A, B] = dims; let k = 0; const out = [];
  for (let l = 0; l < L; l++) {
    const layer = [], s = scales ? scales[l] : 1;
    for (let h = 0; h < H; h++) {
      const head = [];
      for (let a = 0; a < A; a++) {
        const row = new Array(B);
        for (let b = 0; b < B; b++) {
          const v = bytes[k++];
          row[b] = signed ? (v - 128) * s / 127 : v / 255;
        }
        head.push(row);
      }
      layer.push(head);
    }
    out.push(layer);
  }
  return out;
}
(function () {
  const d = window.lmlabData, p = d.params;
  for (const name in p.attention) {
    const part = p.attention[name];
    part.attn = lmlabNest(lmlabBytes(part.attn.b64), part.attn.dims, null, false);
    for (const qk of ["queries", "keys"]) {
      if (part[qk]) part[qk] = lmlabNest(lmlabBytes(part[qk].b64), part[qk].dims, part[qk].scales, true);
    }
  }
  window.lmlabParams = p;
  window.bertviz_params = p;  // the neuron view reads its params from here
})();
"""

# bertviz draws the model view as an SVG 970 px wide: in a narrower frame its last
# column is cut off and the horizontal scrollbar covers the last row. Giving each
# fixed-size SVG a viewBox lets it shrink to the frame's width instead.
FIT_WIDTH_JS = """
(function () {
  function fit() {
    document.querySelectorAll('#vis svg').forEach(function (svg) {
      var w = parseFloat(svg.getAttribute('width')), h = parseFloat(svg.getAttribute('height'));
      if (!svg.getAttribute('viewBox') && w > 0 && h > 0 && !/%/.test(svg.getAttribute('width'))) {
        svg.setAttribute('viewBox', '0 0 ' + w + ' ' + h);
        svg.setAttribute('width', '100%');
        svg.removeAttribute('height');
        svg.style.maxWidth = w + 'px';
      }
    });
  }
  new MutationObserver(fit).observe(document.body, {subtree: true, childList: true});
  fit();
})();
"""
ROW_PADDING = 24  # one more row than bertviz's own layout: descenders and borders fit

_AMD_SHIMS_JS = ("define('d3', [], function () { return window.d3; });\n"
                 "define('jquery', [], function () { return window.jQuery; });")

_THEME_CSS = {
    "light": "body{background:#fff;color:#1f2328;}",
    "dark": ("body{background:#0e1117;color:#e6e6e6;}"
             "select{background:#262730;color:#e6e6e6;border:1px solid #555;}"
             # bertviz's head view has no dark mode and the model view draws its
             # axis labels in black: lighten both.
             "#bertviz-lmlab.head svg text{fill:#e6e6e6;}"
             "#bertviz-lmlab svg text[fill='black']{fill:#cccccc;}"),
}


@dataclass
class BertvizView:
    html: str
    height: int  # pixels the iframe needs to show the whole view
    view: str
    layers: list[int]
    n_tokens: int
    notes: list[str] = field(default_factory=list)

    @property
    def nbytes(self) -> int:
        return len(self.html.encode("utf-8"))


@functools.lru_cache(maxsize=None)
def vendor_js(name: str) -> str:
    text = (VENDOR / name).read_text(encoding="utf-8")
    if "</script" in text.lower() or "<!--" in text:
        raise ValueError(f"{name} cannot be inlined in a <script> element")
    return text


@functools.lru_cache(maxsize=None)
def bertviz_js(view: str) -> str:
    """bertviz's own view script, with the CDN require.config removed."""
    folder = importlib.util.find_spec("bertviz").submodule_search_locations[0]
    text = (Path(folder) / f"{view}_view.js").read_text(encoding="utf-8")
    text, n = _REQUIRE_CONFIG.subn("", text, count=1)
    if n != 1:
        raise ValueError(f"bertviz's {view}_view.js changed: no require.config to remove")
    return text.replace("PYTHON_PARAMS", "window.lmlabParams")


def script_json(value) -> str:
    """JSON that is safe inside <script>: no '<', '>' or '&' survive unescaped."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _script(code: str) -> str:
    return f"<script>{code}</script>"


def encode_weights(weights: np.ndarray) -> dict:
    """(L, H, A, B) weights in [0, 1] as base64 bytes, 256 levels."""
    levels = np.clip(np.rint(weights * 255), 0, 255).astype(np.uint8)
    return {"dims": list(levels.shape), "b64": base64.b64encode(levels.tobytes()).decode("ascii")}


def encode_vectors(vectors: np.ndarray) -> dict:
    """(L, H, T, d) signed vectors as base64 bytes with one scale per layer."""
    scales = np.abs(vectors).reshape(vectors.shape[0], -1).max(-1)
    scales = np.where(scales > 0, scales, 1.0)
    levels = np.clip(np.rint(vectors / scales[:, None, None, None] * 127) + 128, 1, 255)
    return {"dims": list(vectors.shape), "scales": [round(float(s), 5) for s in scales],
            "b64": base64.b64encode(levels.astype(np.uint8).tobytes()).decode("ascii")}


def supports_neuron_view(capture: AttentionCapture) -> bool:
    return capture.model_type in NEURON_VIEW_TYPES and capture.queries is not None


def _fixed_bytes(view: str) -> int:
    return sum(len(vendor_js(n)) for n in VENDOR_FILES) + len(bertviz_js(view)) + 8_000


def _layer_bytes(heads: int, tokens: int, dim: int = 0) -> int:
    """Bytes of one layer's data once base64-encoded (4 chars per 3 bytes)."""
    return (heads * tokens * tokens + 2 * heads * tokens * dim) * 4 // 3 + 4


def plan(capture: AttentionCapture, view: str, first_layer: int = 0,
         max_bytes: int = MAX_PAYLOAD_BYTES) -> tuple[list[int], int, list[str]]:
    """Which layers and how many tokens a view can carry, and notes on what was cut."""
    if view not in VIEWS:
        raise ValueError(f"view must be one of {VIEWS}")
    notes = []
    n_tokens = capture.n_tokens
    token_cap = {"model": MODEL_VIEW_MAX_TOKENS, "neuron": NEURON_VIEW_MAX_TOKENS}.get(view)
    if token_cap and n_tokens > token_cap:
        notes.append(f"The {view} view shows the first {token_cap} of {n_tokens} tokens, "
                     "so that it stays readable.")
        n_tokens = token_cap
    if view == "neuron":
        first_layer = 0  # the neuron view numbers layers from 0 itself
    first_layer = max(0, min(int(first_layer), capture.n_layers - 1))
    dim = capture.queries.shape[-1] if view == "neuron" else 0
    per_layer = _layer_bytes(capture.n_heads, n_tokens, dim)
    fit = max(1, (max_bytes - _fixed_bytes(view)) // per_layer)
    if view == "model":
        fit = min(fit, MODEL_VIEW_MAX_LAYERS)
    layers = list(range(first_layer, min(capture.n_layers, first_layer + fit)))
    if len(layers) < capture.n_layers:
        why = ("to keep the page small" if view != "model" or fit < MODEL_VIEW_MAX_LAYERS
               else "so that it stays readable")
        notes.append(f"Showing layers {layers[0]}–{layers[-1]} of 0–{capture.n_layers - 1} "
                     f"{why}; pick another first layer to see the rest.")
    return layers, n_tokens, notes


def _height(view: str, n_tokens: int, n_layers: int, n_heads: int) -> int:
    """The pixel height bertviz's layout constants give each view, plus its menus."""
    menus = 40
    if view == "head":
        return int(menus + 30 + n_tokens * 22.5 + 30)
    if view == "model":
        thumbnail = n_tokens * 7 * (12 / n_heads) + 10
        axis = 15 + 5 + 13 + 5
        detail = n_tokens * 18 + 30 + 25
        return int(menus + max(n_layers * thumbnail + axis, detail) + 20)
    return int(menus + n_tokens * 26 + 100 + 30)


def _menus(view: str) -> str:
    if view == "head":
        return 'Layer: <select id="layer"></select>'
    if view == "neuron":
        return ('<span class="dropdown-label">Layer: </span><select id="layer"></select> '
                '<span class="dropdown-label">Head: </span><select id="att_head"></select>')
    return ""


def build_view(capture: AttentionCapture, view: str = "head", first_layer: int = 0,
               theme: str = "light", max_bytes: int = MAX_PAYLOAD_BYTES) -> BertvizView:
    """A self-contained HTML page with one bertviz view of `capture`."""
    if theme not in THEMES:
        raise ValueError(f"theme must be one of {THEMES}")
    if view == "neuron" and not supports_neuron_view(capture):
        raise ValueError("the neuron view needs the query/key vectors of a BERT or GPT-2 model")
    layers, n, notes = plan(capture, view, first_layer, max_bytes)
    weights = capture.attentions[layers][:, :, :n, :n]  # (L', H, n, n)
    tokens = capture.tokens[:n]
    part = {"attn": encode_weights(weights), "left_text": tokens, "right_text": tokens}
    if view == "neuron":
        part["queries"] = encode_vectors(capture.queries[layers][:, :, :n])
        part["keys"] = encode_vectors(capture.keys[layers][:, :, :n])
        part["name"] = None
        params = {"attention": {"all": part}, "default_filter": "all", "root_div_id": ROOT_ID,
                  "bidirectional": not capture.causal, "display_mode": theme,
                  "layer": 0, "head": 0}
    else:
        part["name"] = None
        params = {"attention": {"0": part}, "default_filter": "0", "root_div_id": ROOT_ID,
                  "include_layers": layers, "display_mode": theme}
        if view == "head":
            params.update(layer=layers[0], heads=None)
        else:
            params.update(include_heads=list(range(capture.n_heads)),
                          total_heads=capture.n_heads)

    body = (f'<div id="{ROOT_ID}" class="{view}" style="font-family:\'Helvetica Neue\', '
            f'Helvetica, Arial, sans-serif;padding:4px;">'
            f'<span style="user-select:none">{_menus(view)}</span><div id="vis"></div></div>')
    scripts = [_script(vendor_js(name)) for name in VENDOR_FILES]
    scripts += [_script(_AMD_SHIMS_JS + FIT_WIDTH_JS),
                _script("window.lmlabData = " + script_json({"params": params}) + ";"),
                _script(_DECODER_JS), _script(bertviz_js(view))]
    page = ("<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(capture.model_name)} · {view} view</title>"
            f"<style>body{{margin:0;}}{_THEME_CSS[theme]}</style></head><body>"
            + body + "".join(scripts) + "</body></html>")
    height = _height(view, n, len(layers), capture.n_heads) + ROW_PADDING
    return BertvizView(page, height, view, layers, n, notes)
