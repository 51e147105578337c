"""Foundation benchmark: app cold start, model load (cold conversion, warm reload),
and the generation page's streaming path vs a raw `model.generate` call.

    .venv/bin/python bench/bench_foundation.py [--skip-cold-conversion]

Prints measured figures and ratios from one run; run it on an idle machine.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

from lmlab.generation import GenerationParams, encode_prompt, generate_stream  # noqa: E402
from lmlab.loading import ModelStore, load_uncached  # noqa: E402
from lmlab.registry import get_spec  # noqa: E402

MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"
PROMPT = "The history of the printing press begins"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_cold_start() -> tuple[float, float]:
    """Seconds from `streamlit run` to the health check, and to the home page drawn in chromium."""
    from playwright.sync_api import sync_playwright

    port = free_port()
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
                             "--server.port", str(port), "--server.headless", "true"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.05)
        healthy = time.perf_counter() - start
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                        args=["--no-sandbox", "--disable-gpu",
                                              "--disable-background-networking"])
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/")
            page.get_by_text("See how language models work").wait_for(timeout=60_000)
            drawn = time.perf_counter() - start
            browser.close()
        return healthy, drawn
    finally:
        proc.terminate()
        proc.wait(10)


def load_times(skip_cold: bool) -> tuple[float | None, float]:
    spec = get_spec(MODEL)
    cold = None
    if not skip_cold:
        with tempfile.TemporaryDirectory() as tmp:
            os.environ["LMLAB_CACHE"] = tmp
            start = time.perf_counter()
            load_uncached(spec, "generate", "cpu")
            cold = time.perf_counter() - start
            del os.environ["LMLAB_CACHE"]
    load_uncached(spec, "generate", "cpu")  # make sure the normal cache is converted
    start = time.perf_counter()
    load_uncached(spec, "generate", "cpu")
    return cold, time.perf_counter() - start


def tokens_per_s_ratio(new_tokens: int = 96, repeats: int = 3) -> dict:
    """Interleaved best-of-N: page path (lmlab streaming) vs raw generate, same settings."""
    loaded = ModelStore(device="cpu").get(MODEL)
    params = GenerationParams(max_new_tokens=new_tokens)
    ids = encode_prompt(loaded, PROMPT, new_tokens)
    # Force exactly new_tokens tokens on both paths so the work is identical.
    loaded.model.generation_config.eos_token_id = None
    raw_best = page_best = float("inf")
    n_page = 0
    for _ in range(repeats):
        start = time.perf_counter()
        with torch.inference_mode():
            out = loaded.model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False,
                                        max_new_tokens=new_tokens, eos_token_id=None,
                                        pad_token_id=loaded.tokenizer.pad_token_id)
        raw_best = min(raw_best, time.perf_counter() - start)
        n_raw = out.shape[1] - ids.shape[1]
        start = time.perf_counter()
        text = "".join(generate_stream(loaded, PROMPT, params))
        page_best = min(page_best, time.perf_counter() - start)
        n_page = len(loaded.tokenizer(text, add_special_tokens=False)["input_ids"])
    return dict(raw_tps=n_raw / raw_best, page_tps=new_tokens / page_best, n_raw=n_raw,
                n_page_retokenized=n_page, dtype=str(loaded.dtype))


def dtype_decode_speed(new_tokens: int = 48) -> dict:
    """Greedy decode tokens/s per dtype on this device: the measurement behind choose_dtype."""
    spec = get_spec(MODEL)
    results = {}
    for name, purpose in (("float32", "inspect"), ("bfloat16", "generate")):
        loaded = load_uncached(spec, purpose, "cpu")
        ids = encode_prompt(loaded, PROMPT, new_tokens)
        best = float("inf")
        for _ in range(2):
            start = time.perf_counter()
            with torch.inference_mode():
                loaded.model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False,
                                      max_new_tokens=new_tokens, min_new_tokens=new_tokens,
                                      pad_token_id=loaded.tokenizer.pad_token_id)
            best = min(best, time.perf_counter() - start)
        results[name] = new_tokens / best
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-cold-conversion", action="store_true")
    args = parser.parse_args()
    print(f"LM Lab foundation benchmark · torch {torch.__version__} · "
          f"{torch.get_num_threads()} threads · {os.cpu_count()} CPUs")
    healthy, drawn = app_cold_start()
    print(f"app cold start: server healthy {healthy:.2f} s, home page drawn {drawn:.2f} s")
    cold, warm = load_times(args.skip_cold_conversion)
    if cold is not None:
        print(f"SmolLM2 load: cold (GGUF dequantize + convert) {cold:.1f} s, "
              f"warm reload {warm:.2f} s  (ratio {cold / warm:.0f}x)")
    else:
        print(f"SmolLM2 warm reload {warm:.2f} s")
    speeds = dtype_decode_speed()
    print(f"greedy decode: float32 {speeds['float32']:.1f} tok/s, bfloat16 "
          f"{speeds['bfloat16']:.1f} tok/s  (bf16/fp32 = {speeds['bfloat16'] / speeds['float32']:.2f})")
    r = tokens_per_s_ratio()
    print(f"generation ({r['dtype']}): page streaming path {r['page_tps']:.1f} tok/s, raw "
          f"model.generate {r['raw_tps']:.1f} tok/s  -> ratio {r['page_tps'] / r['raw_tps']:.3f} "
          f"(target >= 0.97)")


if __name__ == "__main__":
    main()
