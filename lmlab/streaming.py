"""Streaming generation for pages: token chunks from the engine, paced for the screen.

Causal LMs stream through their TextEngine (lmlab/engine.py): the batching
engine on this computer, or an OpenAI-compatible server when one is set up.
The engine's thread decodes the text, so the page's consumer only joins pieces.
Encoder-decoder models (translation, summarization) stream from `generate` in
a worker thread that takes the model in turn.

The consumer sleeps between screen updates instead of waking on every token:
on a 2-core machine each wake-up takes a core from the model.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from typing import Callable, Iterator

import torch

from lmlab.engine import EngineRequest, TokenEvent, engine_for
from lmlab.errors import InputError, LMLabError
from lmlab.turns import GENERATION_WAIT_S, acquire, notify_wait

STREAM_INTERVAL_S = 0.1  # at most ten screen updates a second: smooth to read, cheap to draw


def _check_streamable(params) -> None:
    params.validate()
    if params.num_beams > 1:
        raise InputError("Streaming works token by token; use beam width 1 (beam search is "
                         "shown without streaming).")
    if params.num_return_sequences > 1:
        raise InputError("Streaming shows one text; several outputs are shown without streaming.")


def stream_events(loaded, input_ids: torch.Tensor, params, stop: threading.Event | None = None,
                  on_wait: Callable[..., None] | None = None, skip_special_tokens: bool = True,
                  prompt: str | None = None, messages: list[dict] | None = None,
                  top_alternatives: int = 0) -> Iterator[list[TokenEvent]]:
    """Chunks of TokenEvents, at most one chunk per STREAM_INTERVAL_S (the first at once)."""
    _check_streamable(params)
    if getattr(loaded.model.config, "is_encoder_decoder", False):
        chunks = _encoder_decoder_events(loaded, input_ids, params, stop, on_wait,
                                         skip_special_tokens)
    else:
        request = EngineRequest(params, input_ids=input_ids[0].tolist(), prompt=prompt,
                                messages=messages, top_alternatives=top_alternatives,
                                skip_special_tokens=skip_special_tokens,
                                stop_strings=tuple(getattr(params, "stop_strings", ()) or ()),
                                on_wait=on_wait)
        chunks = engine_for(loaded).submit(request, stop)
    # lmlab.engine.ChunkStream says when the reply is complete; without it, plain sleeps
    finished = getattr(chunks, "finished", None) or threading.Event()
    with contextlib.closing(chunks):
        next_at = 0.0  # the first tokens go out at once
        while True:
            pause = next_at - time.monotonic()
            if pause > 0:  # tokens arriving meanwhile come out as one chunk; the last at once
                finished.wait(pause)
            chunk = next(chunks, None)
            if chunk is None:
                return
            yield chunk
            next_at = time.monotonic() + STREAM_INTERVAL_S


def stream_ids(loaded, input_ids: torch.Tensor, params, stop: threading.Event | None = None,
               attention_mask: torch.Tensor | None = None,
               on_wait: Callable[..., None] | None = None) -> Iterator[list[int]]:
    """Yield lists of new token ids as the model produces them (batch size 1, no beams)."""
    with contextlib.closing(stream_events(loaded, input_ids, params, stop, on_wait)) as chunks:
        for chunk in chunks:
            ids = [e.token_id for e in chunk if e.token_id is not None]
            if ids:
                yield ids


def stream_text(loaded, input_ids: torch.Tensor, params, stop: threading.Event | None = None,
                skip_special_tokens: bool = True, collect_ids: list[int] | None = None,
                on_wait: Callable[..., None] | None = None, prompt: str | None = None,
                messages: list[dict] | None = None) -> Iterator[str]:
    """Yield text pieces; `collect_ids`, if given, receives the new token ids as they arrive
    (for colouring the text by probability afterwards)."""
    # closing(): a for loop does not pass close() on, and a run interrupted by a rerun keeps
    # its frames (and so this generator) alive in the exception's traceback; the model's
    # work must end now, not whenever the garbage collector gets to it.
    with contextlib.closing(stream_events(loaded, input_ids, params, stop, on_wait,
                                          skip_special_tokens, prompt, messages)) as chunks:
        for chunk in chunks:
            if collect_ids is not None:
                collect_ids.extend(e.token_id for e in chunk if e.token_id is not None)
            text = "".join(e.text for e in chunk)
            if text:
                yield text


# ------------------------------------------------- encoder-decoder models: generate()

class _QueueStreamer:
    """Receives token ids from generate() and hands them to the consumer."""

    def __init__(self):
        self.queue: queue.Queue = queue.Queue()
        self._skip = True

    def put(self, value: torch.Tensor) -> None:
        if self._skip:  # generate() first puts the prompt (or the decoder start token)
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


def _encoder_decoder_events(loaded, input_ids, params, stop, on_wait, skip_special_tokens
                            ) -> Iterator[list[TokenEvent]]:
    from transformers import StoppingCriteriaList

    from lmlab.sampling import IncrementalText

    stop = stop or threading.Event()
    streamer = _QueueStreamer()
    kwargs = params.generate_kwargs()
    kwargs.update(input_ids=input_ids.to(loaded.device), streamer=streamer,
                  attention_mask=torch.ones_like(input_ids).to(loaded.device),
                  stopping_criteria=StoppingCriteriaList([_StopOnEvent(stop)]),
                  pad_token_id=loaded.tokenizer.pad_token_id)
    errors: list[BaseException] = []

    def work():
        # The worker both takes and releases the model: a consumer generator may be resumed
        # on a different thread each step (Gradio), and a lock is released by its owner.
        try:
            if not acquire(loaded, GENERATION_WAIT_S, lambda place: streamer.queue.put(place),
                           stop=stop):
                streamer.end()
                return
        except BaseException as error:
            errors.append(error)
            streamer.end()
            return
        try:
            if params.seed is not None:
                torch.manual_seed(int(params.seed))
            with torch.inference_mode():
                loaded.model.generate(**kwargs)
        except BaseException as error:  # surfaced in the consumer thread
            errors.append(error)
        finally:
            loaded.lock.release()
            streamer.end()

    text = IncrementalText(loaded.tokenizer, skip_special_tokens)
    thread = threading.Thread(target=work, name="lmlab-generate", daemon=True)
    try:
        thread.start()
        while (item := streamer.queue.get()) is not None:
            if isinstance(item, list):
                yield [TokenEvent(t, text.add(t)) for t in item]
            else:
                notify_wait(on_wait, item)
        tail = text.finish()
        if tail:
            yield [TokenEvent(None, tail)]
    finally:
        stop.set()  # consumer went away (rerun, closed tab): end the worker early
        thread.join()
    if errors:
        if isinstance(errors[0], LMLabError):
            raise errors[0]
        raise LMLabError("Generation failed inside the model; try a shorter prompt or other "
                         "settings.") from errors[0]
