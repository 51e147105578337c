"""Batching-engine benchmark on the real SmolLM2-135M-Instruct (embedded copy).

    .venv/bin/python bench/bench_engine.py [--tokens 48] [--repeats 3] [--class-size 30] [--threads N]

Prints, from one run:
  - the layout choice: one batched decode step of 8 rows vs 8 single-row steps;
  - the dtype choice per phase: reading a long prompt in the loaded dtype vs float32;
  - throughput at 8 concurrent chat users / the same 8 requests one after another
    (target >= 4x), median of back-to-back pairs;
  - p50 and p95 first-token latency when a class of 30 asks at once;
  - single-user engine tok/s / raw `model.generate` on the same ids and settings
    (target >= 0.97), and the Streamlit-style and Gradio streaming paths / raw generate
    (target >= 0.97): medians of back-to-back pairs, so a busy machine hits both sides.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

from lmlab.batching import local_engine  # noqa: E402
from lmlab.chat import build_chat_prompt, chat_stream  # noqa: E402
from lmlab.cpu_threads import release_worker_threads  # noqa: E402
from lmlab.engine import EngineRequest  # noqa: E402
from lmlab.generation import GenerationParams  # noqa: E402
from lmlab.kv_batch import append_row, new_cache  # noqa: E402
from lmlab.loading import ModelStore  # noqa: E402

MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"
WARM_UPS = 3  # runs of each side before the measured pairs
SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
QUESTIONS = ["Write a long story about a lighthouse keeper and a storm.",
             "Explain how a rainbow forms, step by step, in detail.",
             "Describe a busy market in a small town on a Saturday morning.",
             "Tell me about the history of bicycles, at length.",
             "Write a letter from a cat to its owner about breakfast.",
             "Explain what a language model is to a ten-year-old.",
             "Describe a journey by train across a snowy country.",
             "Write a long poem about the sea at night."]


def history(n: int) -> list[dict]:
    return [{"role": "user", "content": QUESTIONS[n % len(QUESTIONS)]}]


def greedy(tokens: int) -> GenerationParams:
    return GenerationParams(max_new_tokens=tokens)


def prompt_ids(loaded, n: int, tokens: int) -> list[int]:
    return build_chat_prompt(loaded, SYSTEM, history(n), tokens).input_ids[0].tolist()


def raw_generate(loaded, ids: list[int], params) -> tuple[float, int]:
    start = time.perf_counter()
    with torch.inference_mode():
        out = loaded.model.generate(torch.tensor([ids]), attention_mask=torch.ones(1, len(ids),
                                    dtype=torch.long), pad_token_id=loaded.tokenizer.pad_token_id,
                                    **params.generate_kwargs())
    seconds = time.perf_counter() - start
    # Each side runs alone, as in the app, whose server thread never runs the model: an idle
    # OpenMP team left on this thread would slow the engine's thread (lmlab/cpu_threads.py).
    release_worker_threads()
    return seconds, out.shape[1] - len(ids)


def engine_alone(loaded, ids: list[int], params) -> tuple[float, int]:
    start = time.perf_counter()
    n = sum(e.token_id is not None for chunk in local_engine(loaded).submit(
        EngineRequest(params, input_ids=ids)) for e in chunk)
    return time.perf_counter() - start, n


def streamlit_path(loaded, ids: list[int], params) -> tuple[float, int]:
    """What pages/chat.py runs: chat_stream consumed piece by piece, text kept in state."""
    start = time.perf_counter()
    prompt = build_chat_prompt(loaded, SYSTEM, history(0), params.max_new_tokens)
    new_ids: list[int] = []
    keep = {"text": ""}
    for piece in chat_stream(loaded, prompt, params, collect_ids=new_ids):
        keep["text"] += piece
    return time.perf_counter() - start, len(new_ids)


def gradio_path(loaded, ids: list[int], params) -> tuple[float, int]:
    """The Gradio chat handler as Gradio calls it (temperature 0 is greedy)."""
    from lmlab_gradio.chat_tab import chat

    start = time.perf_counter()
    reply = ""
    for reply in chat(QUESTIONS[0], [], MODEL, SYSTEM, params.max_new_tokens, 0):
        pass
    seconds = time.perf_counter() - start
    return seconds, len(loaded.tokenizer(reply)["input_ids"])


def ratio_to_raw(loaded, path, params, repeats: int) -> tuple[float, float, float]:
    """(median ratio of back-to-back pairs, path tok/s, raw tok/s)."""
    ids = prompt_ids(loaded, 0, params.max_new_tokens)
    for _ in range(WARM_UPS):  # both sides warm: a cold engine's first forwards run ~2x slower
        raw_generate(loaded, ids, params)
        path(loaded, ids, params)
    ratios, path_rates, raw_rates = [], [], []
    for _ in range(repeats):
        raw_s, raw_n = raw_generate(loaded, ids, params)
        path_s, path_n = path(loaded, ids, params)
        raw_rates.append(raw_n / raw_s)
        path_rates.append(path_n / path_s)
        ratios.append(path_rates[-1] / raw_rates[-1])
    return statistics.median(ratios), statistics.median(path_rates), statistics.median(raw_rates)


def users_at_once(loaded, n_users: int, params) -> tuple[float, int, list[float]]:
    """(wall seconds, tokens, first-token latencies) for n users asking together."""
    firsts: list[float] = [0.0] * n_users
    counts = [0] * n_users
    go = threading.Barrier(n_users + 1)

    def user(n: int) -> None:
        prompt = build_chat_prompt(loaded, SYSTEM, history(n), params.max_new_tokens)
        ids: list[int] = []
        go.wait()
        start = time.perf_counter()
        for _piece in chat_stream(loaded, prompt, params, collect_ids=ids):
            if not firsts[n]:
                firsts[n] = time.perf_counter() - start
        counts[n] = len(ids)

    threads = [threading.Thread(target=user, args=(n,)) for n in range(n_users)]
    for thread in threads:
        thread.start()
    go.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start, sum(counts), firsts


def users_in_turn(loaded, n_users: int, params) -> tuple[float, int]:
    start, total = time.perf_counter(), 0
    for n in range(n_users):
        prompt = build_chat_prompt(loaded, SYSTEM, history(n), params.max_new_tokens)
        ids: list[int] = []
        for _piece in chat_stream(loaded, prompt, params, collect_ids=ids):
            pass
        total += len(ids)
    return time.perf_counter() - start, total


@torch.inference_mode()
def step_costs(loaded, rows: int = 8, repeats: int = 5) -> tuple[float, float]:
    """(one batched decode step of `rows` left-padded rows, one single-row step) in seconds."""
    model = loaded.model

    def read(n: int):
        ids = prompt_ids(loaded, n, 32)
        cache = new_cache(model)
        model(input_ids=torch.tensor([ids]), past_key_values=cache, use_cache=True)
        return cache, len(ids)

    batch, mask = None, None
    for n in range(rows):
        batch, mask = append_row(batch, mask, *read(n))
    single, single_len = read(0)

    def timed(fn, cache) -> float:
        saved = [(layer.keys, layer.values) for layer in cache.layers]
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - start)
            for layer, (keys, values) in zip(cache.layers, saved):  # back to the same length
                layer.keys, layer.values = keys, values
        return best

    tokens = torch.full((rows, 1), 42)
    positions = mask.sum(1, keepdim=True)
    full = torch.cat([mask, torch.ones(rows, 1, dtype=mask.dtype)], 1)  # (B, L + 1)
    batched = timed(lambda: model(input_ids=tokens, attention_mask=full, position_ids=positions,
                                  past_key_values=batch, use_cache=True), batch)
    one = timed(lambda: model(input_ids=tokens[:1], position_ids=torch.tensor([[single_len]]),
                              past_key_values=single, use_cache=True), single)
    return batched, one


@torch.inference_mode()
def prefill_seconds(loaded, tokens: int = 512) -> float:
    ids = torch.tensor([(prompt_ids(loaded, 0, 32) * 40)[:tokens]])
    loaded.model(ids[:, :32])  # warm-up
    start = time.perf_counter()
    loaded.model(ids)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=48)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--class-size", type=int, default=30)
    parser.add_argument("--threads", type=int, default=0,
                        help="torch threads (0: torch's default); 1 on a crowded machine")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    store = ModelStore()
    loaded = store.get(MODEL)
    params = greedy(args.tokens)
    print(f"{MODEL} · {loaded.dtype} · {loaded.device} · {torch.get_num_threads()} threads · "
          f"batch {local_engine(loaded).max_batch} · {args.tokens} new tokens")

    batched, one = step_costs(loaded)
    release_worker_threads()  # this thread is done with the model; from here the engine runs it
    print(f"layout   one decode step, 8 left-padded rows: {batched * 1e3:.0f} ms; one row: "
          f"{one * 1e3:.0f} ms -> batching gives {8 * one / batched:.1f}x the tokens per step-second")

    bf16 = prefill_seconds(loaded)
    f32 = prefill_seconds(store.get(MODEL, "inspect"))
    release_worker_threads()
    print(f"dtype    reading a 512-token prompt: {loaded.dtype} {bf16:.2f} s, float32 {f32:.2f} s "
          f"({bf16 / f32:.1f}x)")

    together, in_turn = [], []
    for _ in range(args.repeats):  # back-to-back pairs: a busy spell hits both sides
        wall8, tokens8, _ = users_at_once(loaded, 8, params)
        seq_s, seq_tokens = users_in_turn(loaded, 8, params)
        together.append(tokens8 / wall8)
        in_turn.append(seq_tokens / seq_s)
    gains = sorted(a / b for a, b in zip(together, in_turn))
    print(f"batch    8 users at once: {statistics.median(together):.1f} tok/s; 8 in turn: "
          f"{statistics.median(in_turn):.1f} tok/s -> {statistics.median(gains):.2f}x, median of "
          f"{len(gains)} pairs ({gains[0]:.2f}-{gains[-1]:.2f}) (target >= 4)")

    wall_c, tokens_c, firsts = users_at_once(loaded, args.class_size, params)
    firsts.sort()
    p95 = firsts[min(len(firsts) - 1, int(round(0.95 * (len(firsts) - 1))))]
    print(f"class    {args.class_size} users at once: first token p50 {statistics.median(firsts):.2f} s, "
          f"p95 {p95:.2f} s; all done in {wall_c:.1f} s ({tokens_c / wall_c:.1f} tok/s)")

    for name, path in (("engine", engine_alone), ("streamlit", streamlit_path),
                       ("gradio", gradio_path)):
        ratio, rate, raw = ratio_to_raw(loaded, path, params, args.repeats)
        print(f"single   {name:9s} {rate:.1f} tok/s vs raw generate {raw:.1f} tok/s -> "
              f"{ratio:.2f} (target >= 0.97)")


if __name__ == "__main__":
    main()
