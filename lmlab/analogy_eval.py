"""The Google analogy test set (Mikolov et al., 2013) over pretrained word vectors.

The method is the standard one, as gensim's `evaluate_word_analogies` runs it,
so the accuracy printed here is comparable with published figures:
  - "a b c d" reads "a is to b as c is to d"; the guess is the word whose unit
    vector is closest (cosine) to  unit(b) - unit(a) + unit(c)   (3CosAdd);
  - the three question words are never the answer;
  - only the `restrict_vocab` most frequent words (GloVe rows are in frequency
    order) are candidates, and a question with a word outside them is skipped
    and counted, not scored as wrong;
  - words are compared in lower case (case_insensitive=True in gensim).
The work is batched: B questions at once against blocks of the vocabulary, (B, D) @ (D, block).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from lmlab.errors import InputError
from lmlab.wordvectors import WordVectors

QUESTIONS_FILE = Path(__file__).resolve().parent.parent / "assets" / "questions-words.txt"
RESTRICT_VOCAB = 300_000
BATCH = 512  # questions scored together against each block of the vocabulary
BLOCK = 4096  # vocabulary rows per block: a 512 x 4096 score tile (8 MB) stays near the cache


@dataclass(frozen=True)
class Question:
    section: str
    a: str
    b: str
    c: str
    expected: str


@dataclass
class SectionScore:
    name: str
    correct: int = 0
    incorrect: int = 0
    skipped: int = 0  # a word outside the vocabulary

    @property
    def scored(self) -> int:
        return self.correct + self.incorrect

    @property
    def accuracy(self) -> float:
        return self.correct / self.scored if self.scored else float("nan")


@dataclass(frozen=True)
class Failure:
    section: str
    a: str
    b: str
    c: str
    expected: str
    predicted: str


@dataclass
class AnalogyReport:
    sections: list[SectionScore]
    failures: list[Failure]
    restrict_vocab: int
    seconds: float
    total: SectionScore = field(init=False)

    def __post_init__(self) -> None:
        self.total = SectionScore("total", sum(s.correct for s in self.sections),
                                  sum(s.incorrect for s in self.sections),
                                  sum(s.skipped for s in self.sections))

    @property
    def questions(self) -> int:
        return self.total.scored + self.total.skipped

    @property
    def semantic(self) -> SectionScore:
        return _merge("semantic", [s for s in self.sections if not s.name.startswith("gram")])

    @property
    def syntactic(self) -> SectionScore:
        return _merge("syntactic", [s for s in self.sections if s.name.startswith("gram")])


def _merge(name: str, sections: list[SectionScore]) -> SectionScore:
    return SectionScore(name, sum(s.correct for s in sections),
                        sum(s.incorrect for s in sections), sum(s.skipped for s in sections))


def parse_questions(text: str) -> list[Question]:
    """The questions-words.txt format: ': section' lines, then 'a b c d' lines."""
    questions, section = [], None
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        if line.startswith(":"):
            section = line[1:].strip()
            continue
        parts = line.lower().split()
        if section is None or len(parts) != 4:
            raise InputError(f"Line {number} of the analogy file is not “a b c d” under a "
                             "“: section” heading.")
        questions.append(Question(section, *parts))
    if not questions:
        raise InputError("The analogy file has no questions.")
    return questions


def load_questions(path: str | Path = QUESTIONS_FILE) -> list[Question]:
    return parse_questions(Path(path).read_text(encoding="utf-8"))


def _vocab_index(vectors: WordVectors, restrict_vocab: int) -> dict[str, int]:
    # The first occurrence of a lower-cased word among the most frequent rows.
    limit = min(int(restrict_vocab), len(vectors.words))
    index: dict[str, int] = {}
    for i, word in enumerate(vectors.words[:limit]):
        index.setdefault(word.lower(), i)
    return index


def evaluate_analogies(vectors: WordVectors, questions: list[Question] | None = None,
                       restrict_vocab: int = RESTRICT_VOCAB, batch: int = BATCH,
                       progress: Callable[[int, int], None] | None = None) -> AnalogyReport:
    """Accuracy per section and overall, and every failed question with its guess."""
    if not 1 <= int(restrict_vocab) <= len(vectors.words):
        raise InputError(f"The vocabulary limit must be between 1 and {len(vectors.words):,}.")
    start = time.perf_counter()
    questions = load_questions() if questions is None else questions
    index = _vocab_index(vectors, restrict_vocab)
    limit = min(int(restrict_vocab), len(vectors.words))
    sections: dict[str, SectionScore] = {}
    rows: list[tuple[int, int, int, int]] = []
    kept: list[Question] = []
    for q in questions:
        score = sections.setdefault(q.section, SectionScore(q.section))
        ids = [index.get(w) for w in (q.a, q.b, q.c, q.expected)]
        if None in ids:
            score.skipped += 1
            continue
        rows.append(tuple(ids))
        kept.append(q)
    unit = torch.from_numpy(vectors.unit[:limit])  # (V, D), rows of length 1, no copy
    ids = torch.tensor(rows, dtype=torch.long).reshape(-1, 4)  # (N, 4): a, b, c, expected
    predicted = torch.empty(len(rows), dtype=torch.long)
    for lo in range(0, len(rows), batch):
        predicted[lo:lo + batch] = _best_answers(unit, ids[lo:lo + batch])
        if progress is not None:
            progress(min(lo + batch, len(rows)), len(rows))
    failures = []
    for q, guess, row in zip(kept, predicted.tolist(), rows):
        if guess == row[3]:
            sections[q.section].correct += 1
        else:
            sections[q.section].incorrect += 1
            failures.append(Failure(q.section, q.a, q.b, q.c, q.expected, vectors.words[guess]))
    return AnalogyReport(list(sections.values()), failures, limit, time.perf_counter() - start)


def _best_answers(unit: torch.Tensor, chunk: torch.Tensor, block: int = BLOCK) -> torch.Tensor:
    """The best row of `unit` (V, D) for each question of `chunk` (B, 4), its three question
    words left out. The vocabulary goes by in blocks, keeping a running best per question:
    the (B, V) score matrix is never written out whole, which halves the time."""
    query = unit[chunk[:, 1]] - unit[chunk[:, 0]] + unit[chunk[:, 2]]  # (B, D)
    # The query's length does not change which word is closest: no normalization.
    best = torch.full((len(chunk),), float("-inf"))  # (B,)
    best_row = torch.zeros(len(chunk), dtype=torch.long)  # (B,)
    tile = torch.empty(len(chunk), block)  # (B, block), reused
    for start in range(0, len(unit), block):
        rows = unit[start:start + block]  # (b, D)
        scores = torch.matmul(query, rows.T, out=tile[:, :len(rows)])  # (B, b)
        local = chunk[:, :3] - start  # (B, 3): where the question words fall in this block
        inside = (local >= 0) & (local < len(rows))
        if inside.any():  # the question words are never the answer
            question, word = inside.nonzero(as_tuple=True)
            scores[question, local[question, word]] = float("-inf")
        value, row = scores.max(dim=1)  # (B,), (B,)
        better = value > best  # ties keep the earlier (more frequent) word, as argmax does
        best = torch.where(better, value, best)
        best_row = torch.where(better, row + start, best_row)
    return best_row


def answer_one(vectors: WordVectors, q: Question, restrict_vocab: int = RESTRICT_VOCAB,
               index: dict[str, int] | None = None) -> str | None:
    """One question the plain way (a loop, for checking the batched run): None if skipped."""
    index = index if index is not None else _vocab_index(vectors, restrict_vocab)
    if any(w not in index for w in (q.a, q.b, q.c, q.expected)):
        return None
    unit = vectors.unit[:min(int(restrict_vocab), len(vectors.words))]
    query = unit[index[q.b]] - unit[index[q.a]] + unit[index[q.c]]
    query = query / np.linalg.norm(query)
    banned = {index[q.a], index[q.b], index[q.c]}
    for i in np.argsort(-(unit @ query)):
        if int(i) not in banned:
            return vectors.words[int(i)]
    return None
