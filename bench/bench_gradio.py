"""Gradio benchmark on the real SmolLM2-135M-Instruct (embedded copy), through the real server.

    .venv/bin/python bench/bench_gradio.py [--tokens 128] [--repeats 3] [--clients 8]

Prints:
  - tokens/s of the Gradio path (gradio_client -> queue -> /generate or /chat handler ->
    lmlab streaming -> SSE back to the client) vs a raw `model.generate` on the same ids
    and settings in the same process; interleaved, best of N each (target >= 0.97);
  - throughput of N concurrent API clients vs the same N requests one at a time, with
    the per-request latency: the queue lets them wait in line instead of failing.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402

from lmlab.chat import build_chat_prompt  # noqa: E402
from lmlab.generation import encode_prompt  # noqa: E402
from lmlab.loading import default_store  # noqa: E402

MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"
PROMPT = "Once upon a time, in a small village by the sea, there lived an old lighthouse keeper who"
MESSAGE = "Write a long story about a lighthouse keeper and a storm."
SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raw_generate(loaded, ids: torch.Tensor, tokens: int) -> tuple[float, int]:
    """(seconds, new tokens) for a bare greedy model.generate on the same ids."""
    start = time.perf_counter()
    with torch.inference_mode():
        out = loaded.model.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=tokens,
                                    do_sample=False, temperature=None, top_k=None, top_p=None,
                                    pad_token_id=loaded.tokenizer.pad_token_id)
    return time.perf_counter() - start, out.shape[1] - ids.shape[1]


def timed(job_factory) -> tuple[float, str]:
    start = time.perf_counter()
    job = job_factory()
    result = job.result()
    return time.perf_counter() - start, result


def path_vs_raw(name, loaded, ids, tokens, repeats, submit) -> None:
    raw_best = path_best = float("inf")
    raw_tokens = 0
    for _ in range(repeats):  # interleaved so both see the same machine load
        seconds, raw_tokens = raw_generate(loaded, ids, tokens)
        raw_best = min(raw_best, seconds)
        seconds, text = timed(submit)
        path_best = min(path_best, seconds)
    # Greedy decoding is deterministic: both produced the same raw_tokens tokens.
    raw_tps, path_tps = raw_tokens / raw_best, raw_tokens / path_best
    ratio = path_tps / raw_tps
    print(f"{name:<34} {path_tps:8.1f} tok/s   raw generate {raw_tps:8.1f} tok/s   "
          f"ratio {ratio:.3f} ({'meets' if ratio >= 0.97 else 'below'} the 0.97 target; "
          f"{raw_tokens} tokens, best of {repeats})")


def concurrency(url: str, clients: int, tokens: int) -> None:
    from gradio_client import Client

    sessions = [Client(url, verbose=False) for _ in range(clients)]

    def one(i: int) -> tuple[float, str]:
        return timed(lambda: sessions[i].submit(f"{PROMPT} {i}", MODEL, tokens, "greedy",
                                                api_name="/generate"))

    start = time.perf_counter()
    sequential = [one(i) for i in range(clients)]
    seq_wall = time.perf_counter() - start
    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        concurrent = list(pool.map(one, range(clients)))
    con_wall = time.perf_counter() - start
    assert all(text for _, text in concurrent), "a concurrent request came back empty"
    latencies = sorted(seconds for seconds, _ in concurrent)
    print(f"{clients} requests one at a time: {seq_wall:6.2f} s   ({clients / seq_wall:.2f} req/s, "
          f"median latency {statistics.median(s for s, _ in sequential):.2f} s)")
    print(f"{clients} concurrent clients:     {con_wall:6.2f} s   ({clients / con_wall:.2f} req/s, "
          f"latency {latencies[0]:.2f}–{latencies[-1]:.2f} s; all {clients} answered)")
    print(f"throughput concurrent / one at a time: {seq_wall / con_wall:.2f}x "
          "(one queue per kind of model, limit LMLAB_GRADIO_CONCURRENCY="
          f"{os.environ.get('LMLAB_GRADIO_CONCURRENCY', '1')})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--concurrent-tokens", type=int, default=32)
    args = parser.parse_args()

    import gradio_app
    from gradio_client import Client

    loaded = default_store().get(MODEL)
    print(f"{loaded.spec.name} on {loaded.device} ({loaded.dtype}), torch threads "
          f"{torch.get_num_threads()}, gradio path over http://127.0.0.1")
    demo = gradio_app.build_demo()
    demo.launch(prevent_thread_lock=True, server_name="127.0.0.1", server_port=free_port(),
                quiet=True)
    try:
        client = Client(demo.local_url, verbose=False)
        client.predict(PROMPT, MODEL, 4, "greedy", api_name="/generate")  # warm up both paths
        raw_generate(loaded, encode_prompt(loaded, PROMPT, 4), 4)

        ids = encode_prompt(loaded, PROMPT, args.tokens)
        path_vs_raw("/generate (gradio_client, streamed)", loaded, ids, args.tokens, args.repeats,
                    lambda: client.submit(PROMPT, MODEL, args.tokens, "greedy",
                                          api_name="/generate"))
        # Chat: the raw baseline gets the same template ids; a fresh session per call keeps
        # the history empty, as in the baseline.
        chat_ids = build_chat_prompt(loaded, SYSTEM, [{"role": "user", "content": MESSAGE}],
                                     args.tokens).input_ids
        path_vs_raw("/chat (ChatInterface, streamed)", loaded, chat_ids, args.tokens, args.repeats,
                    lambda: Client(demo.local_url, verbose=False).submit(
                        MESSAGE, MODEL, SYSTEM, args.tokens, 0, api_name="/chat"))
        concurrency(demo.local_url, args.clients, args.concurrent_tokens)
    finally:
        demo.close()


if __name__ == "__main__":
    main()
