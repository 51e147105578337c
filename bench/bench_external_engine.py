"""Chat through LM Lab's external engine ÷ the llama.cpp server's own speed, same request.

Starts llama-cpp-python's server on the embedded SmolLM2 GGUF (tests/llama_server.py), then alternates
the same greedy chat request two ways:
- raw: one streaming POST with http.client, timed from sending to the last token,
  with no LM Lab code in the loop (the server's own speed for this request);
- LM Lab: ExternalEngine.submit (request body, SSE parsing, logprobs -> TokenEvents),
  and the pages' path lmlab.streaming.stream_text when the local model loads.
tokens/s = streamed tokens / seconds; the ratio is the median of back-to-back pairs
(target >= 0.9). Needs llama-cpp-python with its server extra.

    .venv/bin/python bench/bench_external_engine.py [--rounds 5] [--tokens 128]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # the server launcher the tests use

import llama_server  # noqa: E402

from lmlab.engine import EngineRequest  # noqa: E402
from lmlab.external_engine import EngineConfig, ExternalEngine  # noqa: E402
from lmlab.generation import GenerationParams  # noqa: E402
from lmlab.openai_stream import parse_sse, request_body  # noqa: E402

MESSAGES = [{"role": "system", "content": "You are a helpful AI assistant."},
            {"role": "user", "content": "Write a short story about a lighthouse keeper."}]
ALTERNATIVES = 5  # what the token chips ask for


def raw_chat(port: int, body: dict) -> tuple[int, float, dict | None]:
    """(tokens, seconds, the server's own timings if it reports them) for one request."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    start = time.perf_counter()
    conn.request("POST", "/v1/chat/completions", json.dumps(body),
                 {"Content-Type": "application/json"})
    tokens, timings = 0, None
    for chunk in parse_sse(conn.getresponse()):
        for choice in chunk.get("choices") or []:
            content = (choice.get("delta") or {}).get("content")
            logprobs = (choice.get("logprobs") or {}).get("content") or []
            tokens += len(logprobs) if logprobs else bool(content)
        timings = chunk.get("timings", timings)  # llama.cpp's own server reports these
    seconds = time.perf_counter() - start
    conn.close()
    return tokens, seconds, timings


def timed(stream) -> tuple[int, float]:
    start = time.perf_counter()
    tokens = sum(1 for chunk in stream for event in chunk if event.text)
    return tokens, time.perf_counter() - start


def page_path(loaded, engine, params):
    """The pages' stream (lmlab.streaming) with the external engine chosen for the model."""
    from lmlab import streaming
    from lmlab.chat import build_chat_prompt

    prompt = build_chat_prompt(loaded, MESSAGES[0]["content"], MESSAGES[1:], params.max_new_tokens)
    start = time.perf_counter()
    text = "".join(streaming.stream_text(loaded, prompt.input_ids, params,
                                         messages=prompt.messages))
    return len(loaded.tokenizer(text, add_special_tokens=False)["input_ids"]), \
        time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=128)
    args = parser.parse_args()
    params = GenerationParams(max_new_tokens=args.tokens, do_sample=False, seed=0)
    process, url = llama_server.start()
    try:
        engine = ExternalEngine(EngineConfig(url))
        port = int(url.split(":")[2].split("/")[0])
        engine.check(force=True)
        body = dict(messages=MESSAGES, model=engine.model, **request_body(
            params, engine.family, chat=True, alternatives=ALTERNATIVES))
        request = EngineRequest(params, messages=MESSAGES, top_alternatives=ALTERNATIVES)
        raw_chat(port, body)  # warm-up: the first request pays for loading caches
        ratios, raw_speeds, lab_speeds = [], [], []
        for _ in range(args.rounds):
            n_raw, s_raw, timings = raw_chat(port, body)
            n_lab, s_lab = timed(engine.submit(request))
            raw_speeds.append(n_raw / s_raw)
            lab_speeds.append(n_lab / s_lab)
            ratios.append(lab_speeds[-1] / raw_speeds[-1])
            print(f"  raw {n_raw} tokens {n_raw / s_raw:6.1f} tok/s | LM Lab {n_lab} tokens "
                  f"{n_lab / s_lab:6.1f} tok/s | ratio {ratios[-1]:.3f}"
                  + (f" | server timings {timings}" if timings else ""))
        print(f"{engine.label}: chat, greedy, {args.tokens} new tokens, top_logprobs "
              f"{ALTERNATIVES}")
        print(f"server's own speed (raw stream): median {statistics.median(raw_speeds):.1f} tok/s")
        print(f"through LM Lab's external engine:  median {statistics.median(lab_speeds):.1f} tok/s")
        print(f"external engine ÷ server: median of pairs {statistics.median(ratios):.3f}, "
              f"best {max(ratios):.3f} (target >= 0.9)")
        try:
            from lmlab import external_engine
            from lmlab.loading import default_store

            os.environ[external_engine.ENV_URL] = url
            loaded = default_store().get("HuggingFaceTB/SmolLM2-135M-Instruct", "generate")
        except Exception as error:  # the page path needs the local model for its template
            print(f"page path skipped: {error}")
            return
        page = []
        for _ in range(args.rounds):
            n_raw, s_raw, _ = raw_chat(port, body)
            n_page, s_page = page_path(loaded, engine, params)
            page.append((n_page / s_page) / (n_raw / s_raw))
        print(f"pages' stream (lmlab.streaming, engine_for -> server) ÷ server: median "
              f"{statistics.median(page):.3f}, best {max(page):.3f} (target >= 0.9)")
    finally:
        llama_server.stop(process)


if __name__ == "__main__":
    main()
