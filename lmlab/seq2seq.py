"""Translation and summarization: encoder-decoder models, or a prompted chat model.

An encoder-decoder model (Marian/Opus-MT, T5, BART) reads the whole source
with its encoder; the decoder writes the output one token at a time and looks
back at the source through cross-attention. Streaming reuses
lmlab.generation.stream_text, which works for both kinds of model.

Which model answers is decided in lmlab.seq2seq_engines; cross-attention is
read in lmlab.seq2seq_attention.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from typing import Callable, Iterator

import torch

from lmlab import inputs, languages
from lmlab.errors import InputError, LMLabError
from lmlab.generation import GenerationParams, model_turn, stream_text
from lmlab.loading import LoadedModel
from lmlab.seq2seq_engines import check_pair, is_fallback, is_t5, serves_pair
from lmlab.text_chunks import Progress, chunk_text, map_reduce, planned_calls

MAX_TRANSLATE_CHARS = 5_000
MAX_SUMMARY_CHARS = 30_000
CHARS_PER_PAGE = inputs.CHARS_PER_PAGE
TRANSLATE_CHUNK_TOKENS = 160  # sentences per model call: short enough for a small model


# ---------------------------------------------------------------- inputs


@dataclass
class Seq2SeqParams(GenerationParams):
    """Generation settings plus the length knobs of encoder-decoder decoding."""

    min_new_tokens: int = 0
    length_penalty: float = 1.0
    no_repeat_ngram_size: int = 0

    def generate_kwargs(self) -> dict:
        kwargs = super().generate_kwargs()
        if self.min_new_tokens:
            kwargs["min_new_tokens"] = int(self.min_new_tokens)
        if self.num_beams > 1:
            kwargs["length_penalty"] = float(self.length_penalty)
        if self.no_repeat_ngram_size:
            kwargs["no_repeat_ngram_size"] = int(self.no_repeat_ngram_size)
        return kwargs


def check_text(text: str | None, limit: int, task: str) -> str:
    verb = "translate" if task == "translate" else "summarize"
    return inputs.check_text(text, max_chars=limit, strip=True,
                             empty=f"Please type or paste some text to {verb} first.")


def check_language(text: str, src: str, tgt: str) -> None:
    guess = languages.guess_language(text)
    if guess is None or guess == src:
        return
    hint = ("swap the languages" if guess == tgt else
            f"pick {languages.name(guess)} as the source language")
    raise InputError(f"This text looks like {languages.name(guess)}, not "
                     f"{languages.name(src)}: {hint}.")


def _model_type(loaded: LoadedModel) -> str:
    return getattr(loaded.model.config, "model_type", "")


def _t5_prefix(loaded: LoadedModel, task: str, src: str = "en", tgt: str = "de") -> str:
    if _model_type(loaded) != "t5" and not is_t5(loaded.spec):
        return ""
    if task == "summarize":
        return "summarize: "
    return f"translate {languages.name(src)} to {languages.name(tgt)}: "


def translation_instruction(src: str, tgt: str) -> str:
    return (f"Translate the following {languages.name(src)} text into {languages.name(tgt)}. "
            f"Reply with the {languages.name(tgt)} translation only.")


def summary_instruction(words: int) -> str:
    return (f"Summarize the following text in about {words} words. "
            "Reply with the summary only.")


def model_inputs(loaded: LoadedModel, texts: list[str], instruction: str, prefix: str
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """(input_ids, attention_mask), each (B, T): the source for an encoder-decoder model
    (with T5's task prefix), or a chat prompt for the fallback (padded on the left)."""
    tokenizer = loaded.tokenizer
    if is_fallback(loaded):
        prompts = [tokenizer.apply_chat_template(
            [{"role": "user", "content": f"{instruction}\n\n{text}"}],
            add_generation_prompt=True, tokenize=False) for text in texts]
        enc = tokenizer(prompts, return_tensors="pt", padding=True, padding_side="left",
                        add_special_tokens=False)
    else:
        enc = tokenizer([prefix + text for text in texts], return_tensors="pt", padding=True,
                        truncation=True, max_length=source_limit(loaded))
    return enc["input_ids"], enc["attention_mask"]


def source_limit(loaded: LoadedModel) -> int:
    """Tokens an encoder reads at once (T5 has no position table: its tokenizer says)."""
    limit = loaded.context_length
    max_len = getattr(loaded.tokenizer, "model_max_length", None)
    if isinstance(max_len, int) and 0 < max_len < 100_000:
        limit = min(limit, max_len)
    return limit


def token_counter(loaded: LoadedModel) -> Callable[[str], int]:
    tokenizer = loaded.tokenizer
    # verbose=False: counting a long text is fine, only feeding it to the model is not
    return lambda text: len(tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"])


# ---------------------------------------------------------------- generation


@dataclass
class ChunkResult:
    """One model call: what it read and what it wrote (ids without special padding)."""

    source: str
    input_ids: list[int]
    output_ids: list[int]
    text: str


@dataclass
class Seq2SeqRecord:
    """What a translation or summary run did, for the page and the benchmark."""

    model: str = ""
    fallback: bool = False
    chunks: list[ChunkResult] = field(default_factory=list)  # the calls whose text is shown
    rounds: list[list[str]] = field(default_factory=list)  # map-reduce partial summaries
    n_chunks: int = 0
    input_tokens: int = 0
    generated_tokens: int = 0


def _finish_ids(loaded: LoadedModel, ids: list[int]) -> list[int]:
    """Cut at the end-of-text token (kept) and drop padding."""
    eos = loaded.model.generation_config.eos_token_id
    eos = set(eos) if isinstance(eos, (list, tuple)) else {eos}
    pad = loaded.tokenizer.pad_token_id
    out = []
    for token in ids:
        if token == pad and token not in eos:
            continue
        out.append(token)
        if token in eos:
            break
    return out


@torch.inference_mode()
def generate_batch(loaded: LoadedModel, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                   params: GenerationParams) -> list[list[int]]:
    """New token ids for each row of a padded batch, not streamed (beams, map steps)."""
    params.validate()
    kwargs = params.generate_kwargs()
    kwargs.update(input_ids=input_ids.to(loaded.device),
                  attention_mask=attention_mask.to(loaded.device),
                  pad_token_id=loaded.tokenizer.pad_token_id)
    with model_turn(loaded):
        try:
            out = loaded.model.generate(**kwargs)
        except (RuntimeError, ValueError) as error:
            raise LMLabError("Generation failed inside the model; try a shorter text or other "
                             "settings.") from error
    # An encoder-decoder output starts with the decoder start token; a causal one with the prompt.
    start = 1 if not is_fallback(loaded) else input_ids.shape[1]
    return [_finish_ids(loaded, row) for row in out[:, start:].tolist()]


def _one_call(loaded: LoadedModel, source: str, instruction: str, prefix: str,
              params: GenerationParams, stop: threading.Event | None, record: Seq2SeqRecord
              ) -> Iterator[str]:
    """Stream one model call (beam search is shown whole when it ends)."""
    input_ids, attention_mask = model_inputs(loaded, [source], instruction, prefix)
    new_ids: list[int] = []
    if params.num_beams == 1:
        yield from stream_text(loaded, input_ids, params, stop, collect_ids=new_ids)
        new_ids[:] = _finish_ids(loaded, new_ids)
    else:
        new_ids = generate_batch(loaded, input_ids, attention_mask, params)[0]
        yield loaded.tokenizer.decode(new_ids, skip_special_tokens=True)
    text = loaded.tokenizer.decode(new_ids, skip_special_tokens=True)
    record.chunks.append(ChunkResult(source, input_ids[0].tolist(), new_ids, text))
    record.input_tokens += int(input_ids.shape[1])
    record.generated_tokens += len(new_ids)


def _start_record(loaded: LoadedModel, record: Seq2SeqRecord | None) -> Seq2SeqRecord:
    record = record if record is not None else Seq2SeqRecord()
    record.model, record.fallback = loaded.spec.name, is_fallback(loaded)
    return record


def _check_model_pair(loaded: LoadedModel, src: str, tgt: str) -> None:
    spec = loaded.spec
    if is_fallback(loaded) or serves_pair(spec, src, tgt) or spec.languages is None and not is_t5(spec):
        return
    raise InputError(f"{spec.name} does not translate {languages.name(src)} → "
                     f"{languages.name(tgt)}; pick a model for this pair.")


def translate_stream(loaded: LoadedModel, text: str, src: str, tgt: str,
                     params: GenerationParams, stop: threading.Event | None = None,
                     record: Seq2SeqRecord | None = None) -> Iterator[str]:
    """Stream the translation, a few sentences per model call, in order."""
    check_pair(src, tgt)
    text = check_text(text, MAX_TRANSLATE_CHARS, "translate")
    check_language(text, src, tgt)
    _check_model_pair(loaded, src, tgt)
    params.validate()
    record = _start_record(loaded, record)
    prefix = _t5_prefix(loaded, "translate", src, tgt)
    instruction = translation_instruction(src, tgt)
    limit = min(TRANSLATE_CHUNK_TOKENS, source_limit(loaded) - len(prefix) - 8)
    chunks = chunk_text(text, token_counter(loaded), limit)
    record.n_chunks = len(chunks)
    glue = "" if tgt in ("zh", "ja") else " "
    for i, chunk in enumerate(chunks):
        if stop is not None and stop.is_set():
            break
        if i:
            yield glue
        yield from _one_call(loaded, chunk, instruction, prefix, params, stop, record)


def translate_text(loaded: LoadedModel, text: str, src: str, tgt: str,
                   params: GenerationParams, record: Seq2SeqRecord | None = None) -> str:
    return "".join(translate_stream(loaded, text, src, tgt, params, record=record))


@dataclass
class SummaryOptions:
    words: int = 40  # the length asked for
    chunk_tokens: int = 400  # the most source tokens one model call reads
    num_beams: int = 1
    batch_size: int = 4  # chunks summarized together in the map step

    def validate(self) -> "SummaryOptions":
        if not 5 <= self.words <= 300:
            raise InputError("The summary length must be between 5 and 300 words.")
        if not 32 <= self.chunk_tokens <= 2048:
            raise InputError("The chunk size must be between 32 and 2,048 tokens.")
        if not 1 <= self.num_beams <= 8:
            raise InputError("Beam width must be between 1 and 8.")
        return self

    def params(self, fallback: bool) -> Seq2SeqParams:
        tokens = int(self.words * 1.6) + 8  # about 1.3 tokens per English word, plus room
        return Seq2SeqParams(max_new_tokens=min(tokens, 512), num_beams=self.num_beams,
                             min_new_tokens=0 if fallback else max(1, self.words // 2),
                             no_repeat_ngram_size=0 if fallback else 3,
                             repetition_penalty=1.1 if fallback else 1.0)


def summarize_stream(loaded: LoadedModel, text: str, options: SummaryOptions,
                     progress: Progress | None = None, stop: threading.Event | None = None,
                     record: Seq2SeqRecord | None = None) -> Iterator[str]:
    """Map-reduce over sentence chunks (progress per model call), then stream the final step."""
    text = check_text(text, MAX_SUMMARY_CHARS, "summarize")
    options.validate()
    record = _start_record(loaded, record)
    params = options.params(record.fallback)
    prefix = _t5_prefix(loaded, "summarize")
    instruction = summary_instruction(options.words)
    count = token_counter(loaded)
    limit = max(16, min(options.chunk_tokens, source_limit(loaded) - count(prefix) - 8))
    chunks = chunk_text(text, count, limit)
    record.n_chunks = len(chunks)
    map_params = replace(params, num_beams=1)  # partial summaries: greedy, batched

    def summarize(batch: list[str]) -> list[str]:
        if stop is not None and stop.is_set():
            raise InputError("Stopped; the summary was not finished.")
        ids, mask = model_inputs(loaded, batch, instruction, prefix)
        outs = generate_batch(loaded, ids, mask, map_params)
        record.input_tokens += int(mask.sum())
        record.generated_tokens += sum(len(o) for o in outs)
        return [loaded.tokenizer.decode(o, skip_special_tokens=True).strip() for o in outs]

    planned = planned_calls(len(chunks), map_params.max_new_tokens, limit)
    final_source, record.rounds = map_reduce(
        chunks, summarize, lambda joined: chunk_text(joined, count, limit), progress,
        batch_size=max(1, options.batch_size), planned=planned)
    if not final_source.strip():
        raise LMLabError("The model wrote empty partial summaries; try a larger chunk size.")
    yield from _one_call(loaded, final_source, instruction, prefix, params, stop, record)


def summarize_text(loaded: LoadedModel, text: str, options: SummaryOptions,
                   progress: Progress | None = None, record: Seq2SeqRecord | None = None) -> str:
    return "".join(summarize_stream(loaded, text, options, progress, record=record))


def _units(text: str) -> int:
    """Words, counting each Chinese/Japanese character as one word."""
    cjk = len(languages.CJK_CHAR.findall(text))
    return cjk + len(languages.CJK_CHAR.sub(" ", text).split())


def compression_ratio(source: str, summary: str) -> float | None:
    """How many times shorter the summary is (in words), or None for an empty summary."""
    out = _units(summary)
    return _units(source) / out if out else None
