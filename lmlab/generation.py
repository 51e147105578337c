"""Streaming text generation on a loaded causal LM.

preprocess (validate + tokenize) -> forward (model.generate in a worker thread,
token ids pushed to a queue) -> postprocess (incremental decoding in the
caller's thread). The caller consumes a plain generator, so Streamlit's
`st.write_stream` and Gradio's `yield` both stream without touching UI code
from the worker thread.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import asdict, dataclass
from typing import Iterator

import torch

from lmlab.errors import InputError, LMLabError
from lmlab.loading import LoadedModel

MAX_PROMPT_CHARS = 20_000
MAX_NEW_TOKENS_LIMIT = 1024
LOCK_WAIT_S = 120.0


@dataclass
class GenerationParams:
    max_new_tokens: int = 64
    do_sample: bool = False
    temperature: float = 1.0
    top_k: int = 50
    top_p: float = 1.0
    num_beams: int = 1
    repetition_penalty: float = 1.0
    seed: int | None = 0

    def validate(self) -> "GenerationParams":
        if not 1 <= int(self.max_new_tokens) <= MAX_NEW_TOKENS_LIMIT:
            raise InputError(f"Max new tokens must be between 1 and {MAX_NEW_TOKENS_LIMIT}.")
        if self.do_sample and not 0 < self.temperature <= 5:
            raise InputError("Temperature must be above 0 and at most 5 when sampling.")
        if not 0 < self.top_p <= 1:
            raise InputError("Top-p must be above 0 and at most 1.")
        if self.top_k < 0:
            raise InputError("Top-k cannot be negative.")
        if not 1 <= self.num_beams <= 8:
            raise InputError("Beam width must be between 1 and 8.")
        if not 0.5 <= self.repetition_penalty <= 3:
            raise InputError("Repetition penalty must be between 0.5 and 3.")
        return self

    def generate_kwargs(self) -> dict:
        kwargs = dict(max_new_tokens=int(self.max_new_tokens), num_beams=int(self.num_beams),
                      repetition_penalty=float(self.repetition_penalty), do_sample=self.do_sample)
        if self.do_sample:
            kwargs.update(temperature=float(self.temperature), top_k=int(self.top_k),
                          top_p=float(self.top_p))
        else:  # greedy/beam: drop sampling knobs so transformers does not warn
            kwargs.update(temperature=None, top_k=None, top_p=None)
        return kwargs

    def as_dict(self) -> dict:
        return asdict(self)


def encode_prompt(loaded: LoadedModel, prompt: str, max_new_tokens: int) -> torch.Tensor:
    """Token ids (1, T) for a prompt, or InputError with one clear sentence."""
    if prompt is None or not prompt.strip():
        raise InputError("Please type a prompt first.")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise InputError(f"The prompt is {len(prompt):,} characters long; the limit is "
                         f"{MAX_PROMPT_CHARS:,}.")
    ids = loaded.tokenizer(prompt, return_tensors="pt")["input_ids"]
    room = loaded.context_length - int(max_new_tokens)
    if ids.shape[1] > room:
        raise InputError(f"The prompt is {ids.shape[1]:,} tokens; with {max_new_tokens} new tokens "
                         f"it must stay under {room:,} tokens (the model's context is "
                         f"{loaded.context_length:,}).")
    return ids


class _QueueStreamer:
    """Receives token ids from generate() and hands them to the consumer."""

    def __init__(self, skip_prompt_len: int):
        self.queue: queue.Queue = queue.Queue()
        self._skip = True

    def put(self, value: torch.Tensor) -> None:
        if self._skip:  # generate() first puts the prompt
            self._skip = False
            return
        self.queue.put(value.reshape(-1).tolist())

    def end(self) -> None:
        self.queue.put(None)


class _StopOnEvent:
    """A stopping criterion that ends generation when the user presses stop."""

    def __init__(self, event: threading.Event):
        self.event = event

    def __call__(self, input_ids, scores, **kwargs) -> torch.Tensor:
        return torch.full((input_ids.shape[0],), self.event.is_set(), dtype=torch.bool,
                          device=input_ids.device)


def acquire(loaded: LoadedModel, timeout: float = LOCK_WAIT_S) -> None:
    if not loaded.lock.acquire(timeout=timeout):
        raise LMLabError("The model is busy with other users right now; please try again in a moment.")


def stream_ids(loaded: LoadedModel, input_ids: torch.Tensor, params: GenerationParams,
               stop: threading.Event | None = None, attention_mask: torch.Tensor | None = None
               ) -> Iterator[list[int]]:
    """Yield lists of new token ids as the model produces them (batch size 1, no beams)."""
    from transformers import StoppingCriteriaList

    params.validate()
    if params.num_beams > 1:
        raise InputError("Streaming works token by token; use beam width 1 (beam search is "
                         "shown without streaming).")
    stop = stop or threading.Event()
    streamer = _QueueStreamer(input_ids.shape[1])
    model = loaded.model
    kwargs = params.generate_kwargs()
    kwargs.update(input_ids=input_ids.to(loaded.device), streamer=streamer,
                  attention_mask=(attention_mask if attention_mask is not None
                                  else torch.ones_like(input_ids)).to(loaded.device),
                  stopping_criteria=StoppingCriteriaList([_StopOnEvent(stop)]),
                  pad_token_id=loaded.tokenizer.pad_token_id)
    errors: list[BaseException] = []

    def work():
        try:
            if params.seed is not None:
                torch.manual_seed(int(params.seed))
            with torch.inference_mode():
                model.generate(**kwargs)
        except BaseException as error:  # surfaced in the consumer thread
            errors.append(error)
        finally:
            streamer.end()

    acquire(loaded)
    thread = threading.Thread(target=work, name="lmlab-generate", daemon=True)
    try:
        thread.start()
        while True:
            item = streamer.queue.get()
            if item is None:
                break
            yield item
    finally:
        stop.set()  # consumer went away (rerun, closed tab): end the worker early
        thread.join()
        loaded.lock.release()
    if errors:
        raise LMLabError("Generation failed inside the model; try a shorter prompt or other settings.") from errors[0]


def stream_text(loaded: LoadedModel, input_ids: torch.Tensor, params: GenerationParams,
                stop: threading.Event | None = None, skip_special_tokens: bool = True
                ) -> Iterator[str]:
    """Yield text pieces; decoding the whole tail keeps multi-byte characters intact."""
    tokenizer = loaded.tokenizer
    new_ids: list[int] = []
    shown = ""
    for ids in stream_ids(loaded, input_ids, params, stop):
        new_ids.extend(ids)
        text = tokenizer.decode(new_ids, skip_special_tokens=skip_special_tokens)
        if text.endswith("\ufffd"):  # half of a multi-byte character: wait for the rest
            continue
        if len(text) > len(shown):
            yield text[len(shown):]
            shown = text
    final = tokenizer.decode(new_ids, skip_special_tokens=skip_special_tokens)
    if len(final) > len(shown):  # the stream ended inside a broken byte sequence
        yield final[len(shown):]


def generate_stream(loaded: LoadedModel, prompt: str, params: GenerationParams,
                    stop: threading.Event | None = None) -> Iterator[str]:
    """Validate a plain-text prompt, then stream its continuation."""
    params.validate()
    ids = encode_prompt(loaded, prompt, params.max_new_tokens)
    yield from stream_text(loaded, ids, params, stop)


def generate_text(loaded: LoadedModel, prompt: str, params: GenerationParams) -> str:
    return "".join(generate_stream(loaded, prompt, params))
