"""Look-deeper benchmark on the real SmolLM2-135M-Instruct (embedded copy, float32).

    .venv/bin/python bench/bench_interpret.py [--repeats 3]

Prints:
  - logit lens + information flow for a 64-token text (the page's MAX_TRACE_TOKENS cap):
    the one traced forward (eager attention + hooks), the lens grid (every layer's residual
    through the final norm and the 49,152-token unembedding), the direct logit shares at
    the last position and the flow graph, vs one plain forward over the same ids with
    SDPA; best of a few interleaved repeats (target <= 2x); then the lens's floor: the
    arithmetic of its unembedding against a forward's, and that one product's time;
  - the full residual patching grid, 30 layers x 16 positions = 480 patched forwards in
    batches, in seconds (target <= 60 s), and per-head patching of one layer.
It calls the same lmlab functions as pages/interpret.py, without Streamlit.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

from bench.timing import best_interleaved, lap_timer, plain_forward  # noqa: E402
from lmlab.flow import contributions, flow_graph, traced_edges  # noqa: E402
from lmlab.lens import logit_lens  # noqa: E402
from lmlab.loading import ModelStore  # noqa: E402
from lmlab.patching import patch_head_grid, patch_residual_grid, prepare  # noqa: E402
from lmlab.residual import MAX_TRACE_TOKENS, trace_ids  # noqa: E402

MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"
TEXT = ("The lighthouse stood at the end of a long stone pier, and every night its keeper "
        "climbed the hundred and twelve steps to light the lamp. Ships far out at sea saw "
        "the beam and knew where the rocks were. ")
CLEAN = "After a long day we agreed that the Eiffel Tower is in the city of"
CORRUPTED = "After a long day we agreed that the Colosseum is in the city of"


def lens_and_flow(loaded, ids: torch.Tensor) -> dict[str, float]:
    times: dict[str, float] = {}
    lap = lap_timer(times)
    decode = lambda i: loaded.tokenizer.decode([i])  # noqa: E731
    trace = trace_ids(loaded, ids)
    lap("traced forward (eager + hooks)")
    logit_lens(trace, decode)
    lap("logit lens grid (31 rows x 64 positions)")
    last = trace.n_tokens - 1
    contributions(trace, last, None, decode)
    lap("direct logit shares, last position")
    traced_edges(flow_graph(trace), last, 0.1)
    lap("flow graph + traced edges")
    return times


def lens_floor(loaded, ids: torch.Tensor, forward_seconds: float) -> None:
    """What the lens cannot avoid: one float32 product of every residual row (L+1 layers x T
    positions) with the whole unembedding, since each cell's probability needs every logit."""
    trace = trace_ids(loaded, ids)
    weight = trace.parts.lm_head.weight.detach()  # (V, C)
    rows = trace.resid.reshape(-1, trace.resid.shape[-1])  # ((L+1)*T, C)
    params = sum(p.numel() for p in loaded.model.parameters())  # tied unembedding counted once
    lens_flop = 2 * rows.shape[0] * rows.shape[1] * weight.shape[0]
    forward_flop = 2 * params * ids.shape[1]  # embedding lookup is no arithmetic, lm_head is
    with torch.inference_mode():
        rows @ weight.T  # warm-up
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            rows @ weight.T  # ((L+1)*T, V)
            best = min(best, time.perf_counter() - start)
    print(f"  lens arithmetic: {rows.shape[0]:,} rows x {weight.shape[0]:,} tokens = "
          f"{lens_flop / 1e9:.0f} GFLOP, {lens_flop / forward_flop:.1f}x a forward's "
          f"{forward_flop / 1e9:.1f} GFLOP; that product alone takes {best * 1000:.0f} ms "
          f"= {best / forward_seconds:.1f}x the forward")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    loaded = ModelStore(device="cpu").get(MODEL, "inspect")
    print(f"model {MODEL} · device {loaded.device} · dtype {loaded.dtype} · "
          f"{torch.get_num_threads()} threads")
    ids = torch.tensor([loaded.tokenizer(TEXT * 4)["input_ids"][:MAX_TRACE_TOKENS]])
    lens_and_flow(loaded, ids)  # warm-up
    plain_forward(loaded, ids)
    best_forward, best_total, best, _ = best_interleaved(
        args.repeats, lambda: plain_forward(loaded, ids),
        lambda: (lens_and_flow(loaded, ids), None))
    print(f"\nlogit lens + information flow on {ids.shape[1]} tokens, best of {args.repeats}:")
    for name, seconds in best.items():
        print(f"  {name:<44} {seconds * 1000:7.0f} ms")
    print(f"  {'lens + flow end to end (best whole run)':<44} {best_total * 1000:7.0f} ms")
    print(f"one plain forward (SDPA): {best_forward * 1000:.0f} ms")
    ratio = best_total / best_forward
    print(f"ratio (lens + flow)/forward = {ratio:.2f}x (target <= 2x) "
          f"{'OK' if ratio <= 2 else 'MISSED'}")
    print(f"  (traced forward alone / forward = "
          f"{best['traced forward (eager + hooks)'] / best_forward:.2f}x)")
    lens_floor(loaded, ids, best_forward)

    setup = prepare(loaded, CLEAN, CORRUPTED, " Paris", " Rome")
    L, T = setup.clean.n_layers, setup.n_tokens
    start = time.perf_counter()
    grid, stopped = patch_residual_grid(loaded, setup)
    seconds = time.perf_counter() - start
    assert not stopped and not torch.isnan(grid).any()
    print(f"\nresidual patching grid {L} layers x {T} positions = {L * T} patched forwards: "
          f"{seconds:.1f} s (target <= 60 s) {'OK' if seconds <= 60 else 'MISSED'}")
    print(f"  clean logit diff {setup.clean_metric:+.2f}, corrupted {setup.corrupted_metric:+.2f}; "
          f"best restored cell {float(setup.restored(grid).max()):.0%}")
    start = time.perf_counter()
    patch_head_grid(loaded, setup, L // 2)
    print(f"per-head patching of layer {L // 2} ({setup.clean.parts.n_heads} heads x {T} "
          f"positions): {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
