"""Attention-page benchmark on the real SmolLM2-135M-Instruct (embedded copy, float32).

    .venv/bin/python bench/bench_attention.py [--repeats 3]

Prints, for a 128-token text (the page's MAX_TOKENS cap):
  - the attention page's end-to-end work, step by step: the capture (one eager forward
    with output_attentions), the head summaries, rollout, the plotly figures of every
    tab (built, then serialized to JSON as st.plotly_chart does) and the bertviz
    head-view page, vs one plain forward pass over the same ids with the model's
    normal (SDPA) attention; best of a few interleaved repeats (target <= 2x); and the
    size of the plotly JSON a page run sends to the browser;
  - the bertviz HTML payload for the head view and the model view (target <= 2 MB).
It calls the same lmlab functions as pages/attention.py with the page's defaults
(layer 0, head 0, rollout through the last layer for the last token), without Streamlit.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import pandas as pd  # noqa: E402
import plotly.io as pio  # noqa: E402
import torch  # noqa: E402

from bench.timing import best_interleaved, lap_timer, plain_forward  # noqa: E402
from lmlab.attention import (MAX_TOKENS, attention_rollout, capture_attention,  # noqa: E402
                             first_token_score, head_entropy_bits, previous_token_score,
                             summarize_heads)
from lmlab.viz.bertviz_html import MAX_PAYLOAD_BYTES, build_view  # noqa: E402
from lmlab.loading import ModelStore  # noqa: E402
from lmlab.viz.attention import (attention_heatmap, heads_grid, layer_head_map,  # noqa: E402
                                 rollout_bars, rollout_heatmap)

MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"
TEXT = ("The lighthouse stood at the end of a long stone pier, and every night its keeper "
        "climbed the hundred and twelve steps to light the lamp. Ships far out at sea saw "
        "the beam and knew where the rocks were. ")


def page_steps(loaded, text: str) -> tuple[dict[str, float], object]:
    """Seconds per step of one page run (what Streamlit executes: every tab's code runs)."""
    times: dict[str, float] = {}
    lap = lap_timer(times)
    capture = capture_attention(loaded, text, 0)  # components.attention_view.capture_for
    lap("capture (eager forward + attentions)")
    head_page = build_view(capture, "head", 0, "light")  # the default bertviz tab
    lap("bertviz head view HTML")
    figures = [attention_heatmap(capture, 0, 0), heads_grid(capture, 0)]  # Heatmaps tab
    lap("heatmap + heads grid figures")
    weights = capture.attentions  # Head habits tab
    entropy = head_entropy_bits(weights)
    figures += [layer_head_map(entropy, "entropy", "bits"),
                layer_head_map(previous_token_score(weights), "previous", "weight", zmax=1,
                               colorscale="Oranges"),
                layer_head_map(first_token_score(weights), "first", "weight", zmax=1,
                               colorscale="Greens")]
    table = pd.DataFrame([vars(row) for row in summarize_heads(weights, entropy=entropy)]).round(3)
    assert len(table) == capture.n_layers * capture.n_heads
    lap("head summaries + habit maps + table")
    rollout = attention_rollout(capture.attentions)  # Rollout tab, page defaults
    last = capture.n_layers - 1
    figures += [rollout_bars(capture, rollout, last, capture.n_tokens - 1),
                rollout_heatmap(capture, rollout, last)]
    lap("rollout + its two figures")
    # st.plotly_chart sends each figure as JSON: part of what the page pays per run.
    sizes = [len(pio.to_json(fig, validate=False)) for fig in figures]
    lap("plotly JSON of the 7 figures")
    return times, (capture, head_page, sizes)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    store = ModelStore(device="cpu")
    loaded = store.get(MODEL, "inspect")  # the page's model_picker(..., purpose="inspect")
    print(f"model {MODEL} · device {loaded.device} · dtype {loaded.dtype} · "
          f"{torch.get_num_threads()} threads")
    text = TEXT * 8  # ~330 tokens: the capture keeps the first MAX_TOKENS, as the page does
    ids = torch.tensor([loaded.tokenizer(text, truncation=True, max_length=MAX_TOKENS)["input_ids"]])
    assert ids.shape[1] == MAX_TOKENS, ids.shape

    page_steps(loaded, text)  # warm-up: eager switch, plotly/bertviz imports, file reads
    plain_forward(loaded, ids)
    best_forward, best_page, best_steps, (capture, head_page, sizes) = best_interleaved(
        args.repeats, lambda: plain_forward(loaded, ids), lambda: page_steps(loaded, text))
    assert capture.n_tokens == MAX_TOKENS

    print(f"\nattention page on {capture.n_tokens} tokens ({capture.n_layers} layers x "
          f"{capture.n_heads} heads), best of {args.repeats}:")
    for name, seconds in best_steps.items():
        print(f"  {name:<40} {seconds * 1000:7.0f} ms")
    print(f"  {'page end to end (best whole run)':<40} {best_page * 1000:7.0f} ms")
    print(f"one plain forward (SDPA, no attentions): {best_forward * 1000:.0f} ms")
    ratio = best_page / best_forward
    print(f"ratio page/forward = {ratio:.2f}x (target <= 2x) {'OK' if ratio <= 2 else 'MISSED'}")
    capture_ratio = best_steps["capture (eager forward + attentions)"] / best_forward
    print(f"  (capture alone / forward = {capture_ratio:.2f}x)")
    print(f"plotly JSON per page run: {sum(sizes) / 1e6:.2f} MB in all; heatmap "
          f"{sizes[0] / 1e6:.2f} MB, heads grid {sizes[1] / 1e6:.2f} MB ")

    model_page = build_view(capture, "model", 0, "light")
    print("\nbertviz payload (self-contained HTML, vendored JS included):")
    for page in (head_page, model_page):
        ok = page.nbytes <= MAX_PAYLOAD_BYTES
        print(f"  {page.view} view: {page.nbytes:,} bytes = {page.nbytes / 1e6:.2f} MB "
              f"(layers {page.layers[0]}–{page.layers[-1]}, {page.n_tokens} tokens) "
              f"(target <= 2 MB) {'OK' if ok else 'MISSED'}")
        for note in page.notes:
            print(f"    note: {note}")


if __name__ == "__main__":
    main()
