"""Splitting long text at sentence boundaries, and map-reduce over the pieces.

An encoder-decoder model reads at most a few hundred tokens at once (Marian
and BART 512 or 1024, T5 512), and a small chat model loses the thread long
before its context ends. So a long text is cut into chunks of whole sentences,
each chunk is summarized (map), and the partial summaries, kept in their
original order, are summarized again (reduce) until one summary is left.
"""

from __future__ import annotations

import math

import re
from functools import lru_cache
from typing import Callable

import pysbd

# pysbd (rule-based, maintained) knows abbreviations ("Dr.", "3 p.m.", "the U.S.") and
# quoted exclamations, which a regular expression cuts apart. Paragraphs (blank lines)
# are split first: pysbd's time grows faster than the text's length.
_PARAGRAPH = re.compile(r"\n\s*\n")
# Chinese/Japanese sentences end at 。！？ (no space follows); inside quotes (“走！”然后…)
# the sentence goes on, as pysbd decides.
_CJK_END = re.compile(r"(?<=[。！？])(?![”」』’\"。！？])")

_ONLY_PUNCTUATION = re.compile(r"[。！？!?.…”」』’\"]+")

Progress = Callable[[int, int, str], None]  # (steps done, steps in all, what is happening)


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def split_sentences(text: str) -> list[str]:
    """Sentences in their original order, stripped, none empty (English and Chinese)."""
    sentences = []
    for paragraph in _PARAGRAPH.split((text or "").strip()):
        if not paragraph.strip():
            continue
        for segment in _segmenter().segment(paragraph):
            for part in _CJK_END.split(segment):
                part = part.strip()
                if _ONLY_PUNCTUATION.fullmatch(part) and sentences:
                    sentences[-1] += part  # "真的吗？！" stays one sentence
                elif part:
                    sentences.append(part)
    return sentences


def _split_long(sentence: str, count: Callable[[str], int], max_tokens: int) -> list[str]:
    """A sentence longer than a chunk is cut between words (characters for Chinese)."""
    units = sentence.split(" ") if " " in sentence else list(sentence)
    glue = " " if " " in sentence else ""
    pieces, current = [], []
    for unit in units:
        if current and count(glue.join([*current, unit])) > max_tokens:
            pieces.append(glue.join(current))
            current = []
        current.append(unit)
    if current:
        pieces.append(glue.join(current))
    return pieces


def chunk_text(text: str, count: Callable[[str], int], max_tokens: int) -> list[str]:
    """Whole sentences packed into chunks of at most `max_tokens` (by `count`), in order."""
    if max_tokens < 1:
        raise ValueError("max_tokens must be positive")
    chunks: list[str] = []
    current: list[str] = []
    current_tokens = 0
    for sentence in split_sentences(text):
        n = count(sentence)
        if n > max_tokens:
            if current:
                chunks.append(" ".join(current))
                current, current_tokens = [], 0
            chunks.extend(_split_long(sentence, count, max_tokens))
            continue
        if current and current_tokens + n + 1 > max_tokens:
            chunks.append(" ".join(current))
            current, current_tokens = [], 0
        current.append(sentence)
        current_tokens += n + 1  # +1: the joining space may cost a token
    if current:
        chunks.append(" ".join(current))
    return chunks


def planned_calls(n_chunks: int, summary_tokens: int, chunk_tokens: int,
                  max_rounds: int = 4) -> int:
    """Model calls a map-reduce will make at most, known before the first call.

    Each partial summary is at most `summary_tokens` long, so a round of n
    partials fills at most n × summary_tokens tokens; packed into chunks of
    `chunk_tokens` (counting a quarter lost to sentence boundaries) that is the
    next round's size. Plus one final call. A progress bar with this total
    does not grow halfway through.
    """
    total, n, rounds = 1, n_chunks, 0
    room = max(1.0, 0.75 * chunk_tokens)
    while n > 1 and rounds < max_rounds:
        total += n
        rounds += 1
        n = math.ceil(n * summary_tokens / room)
    return total


def map_reduce(chunks: list[str], summarize: Callable[[list[str]], list[str]],
               rechunk: Callable[[str], list[str]], progress: Progress | None = None,
               batch_size: int = 1, max_rounds: int = 4, planned: int | None = None
               ) -> tuple[str, list[list[str]]]:
    """Summarize chunks until their joined summaries fit in one chunk.

    `summarize` maps a batch of texts to one summary each (same order);
    `rechunk` splits a text into chunks that fit the model. Returns the text
    the final (streamed) summary step should read, and each round's partial
    summaries. Progress counts model calls: every map call, plus one final step,
    out of `planned` (see planned_calls) when the caller knows it.
    """
    rounds: list[list[str]] = []
    done, total = 0, max(planned or 0, len(chunks) + 1)
    report = progress or (lambda *_: None)
    while len(chunks) > 1 and len(rounds) < max_rounds:
        partials: list[str] = []
        step = f"Round {len(rounds) + 1}: s" if rounds else "S"
        for start in range(0, len(chunks), batch_size):
            batch = chunks[start:start + batch_size]
            last = start + len(batch)
            parts = f"parts {start + 1}–{last}" if len(batch) > 1 else f"part {last}"
            report(done, total, f"{step}ummarizing {parts} of {len(chunks)}")
            partials.extend(summarize(batch))
            done += len(batch)
        rounds.append(partials)
        chunks = rechunk("\n\n".join(p.strip() for p in partials if p.strip()))
        if len(chunks) > 1 and len(rounds) < max_rounds:
            # Another round; the total grows only past a plan that was too small.
            total = max(total, done + len(chunks) + 1)
    report(done, total, "Writing the final summary")
    # After max_rounds the final step reads everything left (a model with a short
    # context truncates it); partial summaries of real models shrink well before that.
    return "\n\n".join(chunks), rounds
