"""Streaming text generation on a loaded causal LM.

preprocess (validate + tokenize) -> forward (model.generate in a worker thread,
token ids pushed to a queue) -> postprocess (incremental decoding in the
caller's thread). The caller consumes a plain generator, so Streamlit's
`st.write_stream` and Gradio's `yield` both stream without touching UI code
from the worker thread.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Callable, Iterator

import torch

from lmlab.errors import InputError, LMLabError
from lmlab.loading import LoadedModel

MAX_PROMPT_CHARS = 20_000
MAX_NEW_TOKENS_LIMIT = 1024
MAX_RETURN_SEQUENCES = 8
LOCK_WAIT_S = 120.0
STREAM_INTERVAL_S = 0.1  # at most ten screen updates a second: smooth to read, cheap to draw
WAITING_MESSAGE = "Another user is generating with this model; your turn comes next…"


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
    num_return_sequences: int = 1

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
        if not 1 <= int(self.num_return_sequences) <= MAX_RETURN_SEQUENCES:
            raise InputError(f"Number of outputs must be between 1 and {MAX_RETURN_SEQUENCES}.")
        if self.num_return_sequences > 1 and not self.do_sample and self.num_beams == 1:
            raise InputError("Greedy decoding always gives the same single text; use sampling or "
                             "beam search for several outputs.")
        if self.num_return_sequences > self.num_beams and not self.do_sample:
            raise InputError("Beam search can return at most as many outputs as it has beams.")
        return self

    @property
    def streamable(self) -> bool:
        """One token at a time to one text: no beams, one output."""
        return self.num_beams == 1 and self.num_return_sequences == 1

    @property
    def strategy_label(self) -> str:
        if self.num_beams > 1:
            label = f"Beam search ({self.num_beams} beams)"
        elif not self.do_sample:
            label = "Greedy"
        else:
            knobs = [f"T={self.temperature:g}"]
            if self.top_k:
                knobs.append(f"top-k={self.top_k}")
            if self.top_p < 1:
                knobs.append(f"top-p={self.top_p:g}")
            label = f"Sampling ({', '.join(knobs)})"
        if self.repetition_penalty != 1:
            label += f", repetition penalty {self.repetition_penalty:g}"
        return label

    def generate_kwargs(self) -> dict:
        kwargs = dict(max_new_tokens=int(self.max_new_tokens), num_beams=int(self.num_beams),
                      repetition_penalty=float(self.repetition_penalty), do_sample=self.do_sample,
                      num_return_sequences=int(self.num_return_sequences))
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
    if room <= 0:
        raise InputError(f"{max_new_tokens} new tokens do not fit in this model's context of "
                         f"{loaded.context_length:,} tokens; ask for fewer.")
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


def normalize_params(params: GenerationParams) -> tuple[GenerationParams, list[str]]:
    """Turn edge settings that have a clear meaning into that meaning, with a note.

    Temperature 0 is the limit of sharpening: all probability on the top token,
    i.e. greedy decoding. Top-p 0 keeps only the single most likely token: greedy too.
    """
    notes = []
    if params.do_sample and params.temperature <= 0:
        notes.append("Temperature 0 puts all probability on the most likely token, so this runs "
                     "as greedy decoding.")
        params = replace(params, do_sample=False)
    elif params.do_sample and params.top_p <= 0:
        notes.append("Top-p 0 keeps only the most likely token, so this runs as greedy decoding.")
        params = replace(params, do_sample=False)
    if not params.do_sample and params.top_p <= 0:
        params = replace(params, top_p=1.0)  # unused without sampling
    if not params.do_sample and params.num_beams == 1 and params.num_return_sequences > 1:
        notes.append("Greedy decoding always gives the same text, so it is shown once.")
        params = replace(params, num_return_sequences=1)
    return params, notes


def acquire(loaded: LoadedModel, timeout: float = LOCK_WAIT_S,
            on_wait: Callable[[], None] | None = None) -> None:
    """Take the model's lock; if another user holds it, call on_wait, then wait our turn."""
    if loaded.lock.acquire(blocking=False):
        return
    if on_wait is not None:
        on_wait()
    if not loaded.lock.acquire(timeout=timeout):
        raise LMLabError("The model is busy with other users right now; please try again in a moment.")


@contextlib.contextmanager
def model_turn(loaded: LoadedModel, on_wait: Callable[[], None] | None = None,
               timeout: float = LOCK_WAIT_S):
    """Hold the model's lock for a block (it is re-entrant for the same thread)."""
    acquire(loaded, timeout, on_wait)
    try:
        yield loaded
    finally:
        loaded.lock.release()


def stream_ids(loaded: LoadedModel, input_ids: torch.Tensor, params: GenerationParams,
               stop: threading.Event | None = None, attention_mask: torch.Tensor | None = None,
               on_wait: Callable[[], None] | None = None) -> Iterator[list[int]]:
    """Yield lists of new token ids as the model produces them (batch size 1, no beams)."""
    from transformers import StoppingCriteriaList

    params.validate()
    if params.num_beams > 1:
        raise InputError("Streaming works token by token; use beam width 1 (beam search is "
                         "shown without streaming).")
    if params.num_return_sequences > 1:
        raise InputError("Streaming shows one text; several outputs are shown without streaming.")
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
        # The worker both takes and releases the model's lock: a consumer generator
        # may be resumed on a different thread each step (Gradio runs sync
        # generators on a thread pool), and a lock must be released by its owner.
        try:
            if not _take_turn(loaded, stop, streamer):
                return
        except BaseException as error:
            errors.append(error)
            streamer.end()
            return
        try:
            if params.seed is not None:
                torch.manual_seed(int(params.seed))
            with torch.inference_mode():
                model.generate(**kwargs)
        except BaseException as error:  # surfaced in the consumer thread
            errors.append(error)
        finally:
            loaded.lock.release()
            streamer.end()

    thread = threading.Thread(target=work, name="lmlab-generate", daemon=True)
    try:
        thread.start()
        next_at = 0.0  # the first tokens go out at once
        done = False
        while not done:
            # Between updates the consumer sleeps instead of waking on every token: on a
            # 2-core machine each wake-up preempts one of the model's compute threads.
            pause = next_at - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            batch: list[int] = []
            item = streamer.queue.get()
            while True:
                if item is None:
                    done = True
                    break
                if item is _WAITING:
                    if on_wait is not None:
                        on_wait()
                else:
                    batch.extend(item)
                try:
                    item = streamer.queue.get_nowait()
                except queue.Empty:
                    break
            if batch:
                yield batch
                next_at = time.monotonic() + STREAM_INTERVAL_S
    finally:
        stop.set()  # consumer went away (rerun, closed tab): end the worker early
        thread.join()
    if errors:
        if isinstance(errors[0], LMLabError):
            raise errors[0]
        raise LMLabError("Generation failed inside the model; try a shorter prompt or other settings.") from errors[0]


_WAITING = object()  # queue marker: the model is busy with someone else


def _take_turn(loaded: LoadedModel, stop: threading.Event, streamer: "_QueueStreamer",
               timeout: float | None = None) -> bool:
    """Wait for the model's lock in the worker; False if the user stopped while waiting."""
    if loaded.lock.acquire(blocking=False):
        return True
    streamer.queue.put(_WAITING)
    deadline = time.monotonic() + (LOCK_WAIT_S if timeout is None else timeout)
    while not stop.is_set():
        if loaded.lock.acquire(timeout=0.2):
            return True
        if time.monotonic() > deadline:
            raise LMLabError("The model is busy with other users right now; please try again "
                             "in a moment.")
    streamer.end()
    return False


def stream_text(loaded: LoadedModel, input_ids: torch.Tensor, params: GenerationParams,
                stop: threading.Event | None = None, skip_special_tokens: bool = True,
                collect_ids: list[int] | None = None, on_wait: Callable[[], None] | None = None
                ) -> Iterator[str]:
    """Yield text pieces; decoding the whole tail keeps multi-byte characters intact.

    `collect_ids`, if given, receives the new token ids as they arrive (for
    colouring the text by probability afterwards).
    """
    tokenizer = loaded.tokenizer
    new_ids: list[int] = collect_ids if collect_ids is not None else []
    shown = ""
    # closing(): a for loop does not pass close() on, and a run interrupted by a rerun
    # keeps its frames (and so this generator) alive in the exception's traceback; the
    # worker must end now, not whenever the garbage collector gets to it.
    with contextlib.closing(stream_ids(loaded, input_ids, params, stop, on_wait=on_wait)) as chunks:
        for ids in chunks:
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
                    stop: threading.Event | None = None, collect_ids: list[int] | None = None,
                    on_wait: Callable[[], None] | None = None) -> Iterator[str]:
    """Validate a plain-text prompt, then stream its continuation."""
    params.validate()
    ids = encode_prompt(loaded, prompt, params.max_new_tokens)
    yield from stream_text(loaded, ids, params, stop, collect_ids=collect_ids, on_wait=on_wait)


def generate_text(loaded: LoadedModel, prompt: str, params: GenerationParams) -> str:
    return "".join(generate_stream(loaded, prompt, params))


@dataclass
class GeneratedText:
    """One finished output: its new token ids, text, and (optionally) their probabilities."""

    token_ids: list[int]
    text: str
    tokens: list = field(default_factory=list)  # probability.TokenScore per new token


@dataclass
class StrategyResult:
    name: str
    params: GenerationParams
    outputs: list[GeneratedText]
    seconds: float
    notes: list[str] = field(default_factory=list)
    error: str | None = None


def _strip_after_eos(ids: list[int], eos_ids: set[int], pad_id: int | None) -> list[int]:
    """Cut a finished sequence at its end-of-text token (kept) and drop the padding."""
    out = []
    for token in ids:
        out.append(token)
        if token in eos_ids:
            break
    while out and pad_id is not None and out[-1] == pad_id and pad_id not in eos_ids:
        out.pop()
    return out


def _eos_ids(loaded: LoadedModel) -> set[int]:
    eos = getattr(loaded.model.generation_config, "eos_token_id", None)
    if eos is None:
        eos = loaded.tokenizer.eos_token_id
    if eos is None:
        return set()
    return set(eos) if isinstance(eos, (list, tuple)) else {int(eos)}


@torch.inference_mode()
def generate_ids(loaded: LoadedModel, input_ids: torch.Tensor, params: GenerationParams,
                 on_wait: Callable[[], None] | None = None) -> list[list[int]]:
    """New token ids of every output, not streamed (beam search, several outputs)."""
    params.validate()
    kwargs = params.generate_kwargs()
    kwargs.update(input_ids=input_ids.to(loaded.device),
                  attention_mask=torch.ones_like(input_ids).to(loaded.device),
                  pad_token_id=loaded.tokenizer.pad_token_id)
    with model_turn(loaded, on_wait):
        if params.seed is not None:
            torch.manual_seed(int(params.seed))
        try:
            out = loaded.model.generate(**kwargs)  # (N, T + new)
        except (RuntimeError, ValueError) as error:
            raise LMLabError("Generation failed inside the model; try a shorter prompt or "
                             "other settings.") from error
    eos, pad = _eos_ids(loaded), loaded.tokenizer.pad_token_id
    return [_strip_after_eos(row, eos, pad) for row in out[:, input_ids.shape[1]:].tolist()]


def generate_outputs(loaded: LoadedModel, prompt: str, params: GenerationParams,
                     with_probabilities: bool = True, on_wait: Callable[[], None] | None = None
                     ) -> list[GeneratedText]:
    """Every output of one strategy, each with its tokens' probabilities under the model."""
    from lmlab.probability import score_continuation

    params.validate()
    ids = encode_prompt(loaded, prompt, params.max_new_tokens)
    results = []
    for new_ids in generate_ids(loaded, ids, params, on_wait):
        text = loaded.tokenizer.decode(new_ids, skip_special_tokens=True)
        tokens = (score_continuation(loaded, ids[0].tolist(), new_ids, on_wait=on_wait)
                  if with_probabilities and new_ids else [])
        results.append(GeneratedText(new_ids, text, tokens))
    return results


# Strategies a class compares side by side: same prompt, same seed, same length.
STRATEGY_PRESETS: dict[str, GenerationParams] = {
    "Greedy": GenerationParams(),
    "Sampling, temperature 0.7": GenerationParams(do_sample=True, temperature=0.7, top_k=0),
    "Sampling, temperature 1.5": GenerationParams(do_sample=True, temperature=1.5, top_k=0),
    "Top-k 10": GenerationParams(do_sample=True, temperature=1.0, top_k=10),
    "Top-p 0.9": GenerationParams(do_sample=True, temperature=1.0, top_k=0, top_p=0.9),
    "Beam search, 4 beams": GenerationParams(num_beams=4),
    "Greedy + repetition penalty 1.3": GenerationParams(repetition_penalty=1.3),
}


def compare_strategies(loaded: LoadedModel, prompt: str, strategies: dict[str, GenerationParams],
                       max_new_tokens: int, seed: int | None,
                       on_wait: Callable[[], None] | None = None,
                       on_progress: Callable[[int, str], None] | None = None) -> list[StrategyResult]:
    """Run several strategies on the same prompt with the same seed and length.

    A strategy whose settings are refused gets its sentence in `error`; the
    others still run, so one bad column does not hide the comparison.
    """
    if not strategies:
        raise InputError("Pick at least one decoding strategy to compare.")
    encode_prompt(loaded, prompt, max_new_tokens)  # one clear sentence before any work
    results = []
    for i, (name, params) in enumerate(strategies.items()):
        if on_progress is not None:
            on_progress(i, name)
        params, notes = normalize_params(replace(params, max_new_tokens=int(max_new_tokens),
                                                 seed=seed))
        start = time.perf_counter()
        try:
            outputs = generate_outputs(loaded, prompt, params, on_wait=on_wait)
            results.append(StrategyResult(name, params, outputs, time.perf_counter() - start, notes))
        except InputError as error:
            results.append(StrategyResult(name, params, [], 0.0, notes, str(error)))
    return results
