"""The OpenAI streaming protocol, pure: a request body out, server-sent events in, tokens out.

Servers differ in what they accept and return (checked against llama.cpp's servers,
vLLM, SGLang, TGI and Ollama), so these functions read what comes back instead of
assuming one shape:
- chat `logprobs.content = [{token, logprob, top_logprobs: [{token, logprob}]}]` (OpenAI);
- completions `logprobs = {tokens, token_logprobs, top_logprobs: [{token: logprob}]}`;
- some llama.cpp versions send probabilities (`prob`, `top_probs`, `tok_str`) instead
  of log-probabilities; and many servers send no probabilities at all.
"""

from __future__ import annotations

import json
import math
from typing import Iterable, Iterator

from lmlab.engine import TokenEvent
from lmlab.generation import GenerationParams

MAX_TOP_LOGPROBS = 20  # the OpenAI API's cap; servers that follow it refuse more
LLAMA_CPP = "llama.cpp server"
# Servers known to take sampling settings beyond the OpenAI schema (top_k, min_p, penalty).
TAKES_EXTRAS = {LLAMA_CPP, "vLLM", "SGLang"}
# The server's finish reason -> LM Lab's (lmlab.engine.FINISH_REASONS); others pass through.
FINISH = {"length": "length", "stop": "eos", "eos": "eos", "stop_sequence": "stop_string"}


def request_body(params: GenerationParams, family: str, *, chat: bool, extras: bool = True,
                 alternatives: int | None = 5, stop_strings: Iterable[str] = ()) -> dict:
    """LM Lab's decoding settings in the OpenAI request schema, plus extras a server takes.

    `alternatives`: how many top alternatives to ask for per token (0: only the chosen
    token's probability; None: no probabilities at all).
    """
    greedy = not params.do_sample
    body = {"stream": True, "max_tokens": int(params.max_new_tokens),
            "temperature": 0.0 if greedy else float(params.temperature),
            "top_p": 1.0 if greedy else float(params.top_p)}
    if params.seed is not None:
        body["seed"] = int(params.seed)
    stops = [s for s in stop_strings if s]
    if stops:
        body["stop"] = stops[:4]  # the OpenAI schema allows four
    if alternatives is not None:
        n = max(0, min(int(alternatives), MAX_TOP_LOGPROBS))
        body.update({"logprobs": True, "top_logprobs": n} if chat else {"logprobs": n})
    if extras and family in TAKES_EXTRAS:
        # llama.cpp samples with top_k=40 and min_p=0.05 unless told otherwise; LM Lab's
        # "top-k off" is 0 there and -1 on vLLM / SGLang.
        off = 0 if family == LLAMA_CPP else -1
        body.update(top_k=int(params.top_k) if params.top_k and not greedy else off, min_p=0.0)
        penalty = "repeat_penalty" if family == LLAMA_CPP else "repetition_penalty"
        body[penalty] = float(params.repetition_penalty)
    return body


def parse_sse(lines: Iterable[bytes]) -> Iterator[dict]:
    """Server-sent events -> their JSON payloads, up to `data: [DONE]`."""
    data: list[str] = []
    for raw in lines:
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if line.startswith("data:"):
            data.append(line[5:].lstrip(" "))
            continue
        if line or not data:  # comments (": ping"), event names, blank keep-alives
            continue
        payload, data = "\n".join(data), []
        if payload.strip() == "[DONE]":
            return
        yield json.loads(payload)
    if data and "\n".join(data).strip() != "[DONE]":
        yield json.loads("\n".join(data))


def _prob(entry: dict) -> float | None:
    """A probability from a log-probability (OpenAI) or a probability (some llama.cpp)."""
    if entry.get("logprob") is not None:
        return min(1.0, math.exp(float(entry["logprob"])))
    if entry.get("prob") is not None:
        return float(entry["prob"])
    return None


def _alternatives(items, limit: int) -> list[tuple[str, float]]:
    if isinstance(items, dict):  # completions style: {token: logprob}
        pairs = [(t, math.exp(float(lp))) for t, lp in items.items() if lp is not None]
    else:  # chat style [{"token", "logprob"}] or llama.cpp's [{"tok_str", "prob"}]
        pairs = [(a.get("token", a.get("tok_str", "")), _prob(a)) for a in items or []
                 if isinstance(a, dict)]
        pairs = [(t, p) for t, p in pairs if p is not None]
    return sorted(pairs, key=lambda pair: -pair[1])[:limit]


def _scored(logprobs, limit: int) -> list[TokenEvent]:
    """Token events from either logprobs shape (empty when the server sent none)."""
    if not isinstance(logprobs, dict):
        return []
    if isinstance(logprobs.get("content"), list):  # chat shape
        return [TokenEvent(entry.get("id"), entry.get("token", entry.get("tok_str", "")),
                           _prob(entry), _alternatives(entry.get("top_logprobs")
                                                       or entry.get("top_probs"), limit))
                for entry in logprobs["content"] if isinstance(entry, dict)]
    tokens, lps = logprobs.get("tokens") or [], logprobs.get("token_logprobs") or []
    tops = logprobs.get("top_logprobs") or []
    return [TokenEvent(None, token, None if lp is None else min(1.0, math.exp(float(lp))),
                       _alternatives(tops[i] if i < len(tops) else None, limit))
            for i, (token, lp) in enumerate(zip(tokens, lps))]


def token_events(choice: dict, chat: bool, limit: int = 5) -> list[TokenEvent]:
    """One streamed choice -> its tokens, with probabilities where the server sent them.

    The text the server streamed is the truth: when the scored token strings do not
    spell it (a server that scores differently, a stop string cut off), the chunk
    becomes one event carrying the text, with a probability only if it is one token.
    """
    text = ((choice.get("delta") or {}).get("content") if chat else choice.get("text")) or ""
    events = _scored(choice.get("logprobs"), limit)
    if "".join(e.text for e in events) != text:
        single = events[0] if len(events) == 1 else None
        events = [TokenEvent(single.token_id if single else None, text,
                             single.prob if single else None,
                             single.top if single else ())] if text else []
    finish = choice.get("finish_reason")
    if finish:
        reason = FINISH.get(finish, finish)
        if events:
            events[-1].finish_reason = reason
        else:
            events = [TokenEvent(None, "", finish_reason=reason)]
    return events
