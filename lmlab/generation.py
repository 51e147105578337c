"""Text generation on a loaded causal LM: settings, prompts, strategies.

preprocess (validate + tokenize) -> forward -> postprocess. Streamed text comes
from the model's engine (lmlab/streaming.py -> lmlab/engine.py), which batches
every user's request and decodes the text in its own thread; the caller consumes
a plain generator, so Streamlit's `st.write_stream` and Gradio's `yield` both
stream without touching UI code from another thread. Beam search and several
outputs run `generate` whole, taking the model in turn (lmlab/turns.py).
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Callable, Iterator

import torch

from lmlab import inputs
from lmlab.errors import InputError, LMLabError
from lmlab.loading import LoadedModel
from lmlab.streaming import STREAM_INTERVAL_S, stream_events, stream_ids, stream_text  # noqa: F401
from lmlab.turns import (GENERATION_WAIT_S, LOCK_WAIT_S, WAITING_MESSAGE,  # noqa: F401
                         acquire, model_turn)

MAX_PROMPT_CHARS = 20_000
MAX_NEW_TOKENS_LIMIT = 1024
MAX_RETURN_SEQUENCES = 8


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
    stop_strings: tuple[str, ...] = ()  # streamed text ends before the first of these

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
    room = loaded.context_length - int(max_new_tokens)
    if room <= 0:
        raise InputError(f"{max_new_tokens} new tokens do not fit in this model's context of "
                         f"{loaded.context_length:,} tokens; ask for fewer.")
    return inputs.encode_text(
        loaded, prompt, what="The prompt", max_tokens=room, max_chars=MAX_PROMPT_CHARS,
        empty="Please type a prompt first.",
        why=f"{max_new_tokens} new tokens must fit in the model's context of "
            f"{loaded.context_length:,}")


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


def generate_stream(loaded: LoadedModel, prompt: str, params: GenerationParams,
                    stop: threading.Event | None = None, collect_ids: list[int] | None = None,
                    on_wait: Callable[[], None] | None = None) -> Iterator[str]:
    """Validate a plain-text prompt, then stream its continuation."""
    params.validate()
    ids = encode_prompt(loaded, prompt, params.max_new_tokens)
    yield from stream_text(loaded, ids, params, stop, collect_ids=collect_ids, on_wait=on_wait,
                           prompt=prompt)


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
    with model_turn(loaded, on_wait, timeout=GENERATION_WAIT_S):  # waiting never fails
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
