"""Arithmetic on pretrained word vectors: "king - man + woman" and its nearest words.

Queries on the 400k GloVe words use the matrix that WordVectors normalized
once at load: cosine similarity to every word is one matrix-vector product
`unit @ q` (read from an int8 copy of it, then the candidates exactly), and the top k
come from block maxima (no full sort).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

import numpy as np

from lmlab import inputs, int8_scores
from lmlab.errors import InputError
from lmlab.wordvectors import WordVectors, score_buffer

MAX_TERMS = 12  # words in one expression
MAX_EXPRESSION_CHARS = 300
MAX_TOP_K = 50
SUGGEST_FROM = 100_000  # GloVe lists words by frequency: suggest common spellings

# ----------------------------------------------------------------------------
# A safe parser for "king - man + woman", "0.5 paris + 0.5 rome": no eval.

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>\d+(?:\.\d+)?|\.\d+)
  | (?P<word>[^\W\d_][\w']*)
  | (?P<op>[+\-\u2212\u2013])
""", re.VERBOSE)

PLUS, MINUS = "+", "-"


@dataclass(frozen=True)
class Term:
    weight: float  # signed: "- man" is (-1.0, "man")
    word: str


def tokenize_expression(text: str) -> list[tuple[str, str]]:
    """(kind, text) tokens; anything but words, numbers, + and - is refused."""
    text = inputs.check_text(text, what="The expression", max_chars=MAX_EXPRESSION_CHARS,
                             empty="Please type an expression, for example: king - man + woman.")
    tokens, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            bad = text[pos]
            raise InputError(f"“{bad}” is not allowed: use only words, numbers, + and −, "
                             "for example: king - man + woman.")
        kind = match.lastgroup
        if kind == "op":
            tokens.append(("op", MINUS if match.group() != "+" else PLUS))
        elif kind == "word":
            tokens.append(("word", match.group().lower()))
        elif kind == "number":
            tokens.append(("number", match.group()))
        pos = match.end()
    return tokens


def parse_expression(text: str) -> list[Term]:
    """Grammar: [sign] [number] word { sign [number] word }."""
    tokens = tokenize_expression(text)
    terms: list[Term] = []
    sign, weight, expect_word = 1.0, None, True
    i = 0
    if tokens and tokens[0][0] == "op":  # a leading sign: "-man + woman"
        sign = -1.0 if tokens[0][1] == MINUS else 1.0
        i = 1
    while i < len(tokens):
        kind, value = tokens[i]
        if expect_word:
            if kind == "number" and weight is None:
                weight = float(value)
            elif kind == "word":
                terms.append(Term(sign * (1.0 if weight is None else weight), value))
                sign, weight, expect_word = 1.0, None, False
            elif kind == "number":
                raise InputError("Two numbers in a row: write one weight before a word, "
                                 "for example: 0.5 king.")
            else:
                raise InputError("Two signs in a row: put one word between + and −.")
        else:
            if kind != "op":
                raise InputError(f"Put + or − between words (before “{value}”).")
            sign, expect_word = (-1.0 if value == MINUS else 1.0), True
        i += 1
    if expect_word:
        if weight is not None:
            raise InputError("A number must be followed by the word it weighs, "
                             "for example: 2 king.")
        raise InputError("The expression ends with a sign: add a word after it.")
    if len(terms) > MAX_TERMS:
        raise InputError(f"The expression has {len(terms)} words; the limit is {MAX_TERMS}.")
    return terms


# ----------------------------------------------------------------------------
# Queries on pretrained vectors.

def _one_edit_away(word: str) -> set[str]:
    """Every string one typo from `word`: a letter deleted, swapped, changed or added."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    swaps = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    changes = {a + c + b[1:] for a, b in splits if b for c in letters}
    inserts = {a + c + b for a, b in splits for c in letters}
    return deletes | swaps | changes | inserts


def suggest(vectors: WordVectors, word: str, n: int = 3) -> list[str]:
    """Close spellings: words one typo away first (same first letter, then the most common:
    GloVe rows are in frequency order), then difflib's similar words among the common ones."""
    limit = min(SUGGEST_FROM, len(vectors.words))
    edits = _one_edit_away(word) if len(word) <= 30 else set()
    # Typos rarely hit the first letter: keep it first, then the commoner word first.
    rows = sorted((i for i in (vectors.index.get(w) for w in edits) if i is not None and i < limit),
                  key=lambda i: (vectors.words[i][:1] != word[:1], i))
    found = [vectors.words[i] for i in rows[:n]]
    if len(found) < n:
        candidates = [w for w in vectors.words[:limit] if abs(len(w) - len(word)) <= 2]
        found += [w for w in difflib.get_close_matches(word, candidates, n=n, cutoff=0.7)
                  if w not in found]
    return found[:n]


def word_index(vectors: WordVectors, word: str) -> int:
    key = inputs.plain_text(word or "").strip().lower()
    if not key:
        raise InputError("Please type a word.")
    if key not in vectors.index:
        close = suggest(vectors, key)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise InputError(f"“{inputs.excerpt(key)}” is not among the {len(vectors.words):,} "
                         f"words of the vocabulary.{hint}")
    return vectors.index[key]


@dataclass
class Neighbour:
    word: str
    cosine: float


def top_k(unit: np.ndarray, query: np.ndarray, k: int, exclude: set[int] = frozenset(),
          int8: int8_scores.Int8Rows | None = None) -> list[tuple[int, float]]:
    """The k rows of `unit` (V, D) with the highest cosine to `query` (D,).

    One matrix-vector product and one pass to find the candidates: O(V) instead of a sort.
    With `int8`, the int8 copy of `unit`, that product reads a quarter of the bytes and
    only its candidates are scored exactly (see int8_scores.py): the same answer.
    """
    norm = float(np.linalg.norm(query))
    if norm == 0.0:
        raise InputError("The expression adds up to the zero vector (the words cancel out).")
    q = (query / norm).astype(unit.dtype, copy=False)
    want = min(len(unit), k + len(exclude))
    if int8 is not None:
        approx = int8_scores.approx_scores(int8, q, score_buffer(len(unit)))  # (V,)
        idx = int8_scores.candidates(approx, int8_scores.error_bound(int8, q), want, top_candidates)
        exact = unit[idx].astype(np.float64) @ q.astype(np.float64)  # (n,)
        order = np.argsort(-exact, kind="stable")
        idx, best = idx[order], exact[order]
    else:
        scores = np.dot(unit, q, out=score_buffer(len(unit))) if unit.dtype == np.float32 \
            else unit @ q  # (V,)
        idx = top_candidates(scores, want)
        idx = idx[np.argsort(-scores[idx], kind="stable")]
        best = scores[idx]
    out = [(int(i), float(s)) for i, s in zip(idx, best) if int(i) not in exclude]
    return out[:k]


def top_candidates(scores: np.ndarray, want: int, block: int = 1024) -> np.ndarray:
    """Indices that surely hold the `want` highest scores (V,), a few more at most.

    The `want` largest block maxima are `want` different scores, so the want-th highest
    score is at least the smallest of them: every score below that can be dropped. One
    max per block and one comparison read the scores twice, about 5x quicker than an
    argpartition of 400k; when ties make the candidates many, argpartition answers.
    """
    blocks = len(scores) // block
    if blocks > 4 * want:
        maxima = scores[:blocks * block].reshape(blocks, block).max(axis=1)  # (blocks,)
        threshold = np.partition(maxima, blocks - want)[blocks - want]
        idx = np.flatnonzero(scores >= threshold)
        if want <= len(idx) <= 64 * want:
            return idx
    return np.argpartition(scores, len(scores) - want)[len(scores) - want:]  # no negated copy


def _check_k(k: int) -> int:
    if not 1 <= int(k) <= MAX_TOP_K:
        raise InputError(f"Ask for between 1 and {MAX_TOP_K} answers.")
    return int(k)


def expression_vector(vectors: WordVectors, terms: list[Term]) -> np.ndarray:
    """sum weight * unit vector: the '3CosAdd' arithmetic of Mikolov et al."""
    query = np.zeros(vectors.dim, dtype=np.float32)
    for term in terms:
        query += np.float32(term.weight) * vectors.unit[word_index(vectors, term.word)]
    return query


def evaluate(vectors: WordVectors, expression: str, k: int = 10) -> list[Neighbour]:
    """The words closest to an expression like 'king - man + woman'.

    The words of the expression are left out of the answers, as in the
    analogy benchmarks (otherwise 'king' is usually the nearest to itself).
    """
    k = _check_k(k)
    terms = parse_expression(expression)
    query = expression_vector(vectors, terms)
    exclude = {vectors.index[t.word] for t in terms}
    found = top_k(vectors.unit, query, k, exclude, vectors.int8)
    return [Neighbour(vectors.words[i], s) for i, s in found]


def analogy(vectors: WordVectors, a: str, b: str, c: str, k: int = 10) -> list[Neighbour]:
    """'a is to b as c is to ?': b - a + c (man : king :: woman : queen)."""
    return evaluate(vectors, f"{b} - {a} + {c}", k)


def nearest(vectors: WordVectors, word: str, k: int = 10) -> list[Neighbour]:
    k = _check_k(k)
    i = word_index(vectors, word)
    found = top_k(vectors.unit, vectors.unit[i], k, {i}, vectors.int8)
    return [Neighbour(vectors.words[j], s) for j, s in found]


def similarity(vectors: WordVectors, a: str, b: str) -> float:
    """Cosine similarity of two words, in [-1, 1]."""
    return float(vectors.unit[word_index(vectors, a)] @ vectors.unit[word_index(vectors, b)])


def naive_evaluate(vectors: WordVectors, expression: str, k: int = 10) -> list[Neighbour]:
    """The slow way, for the benchmark: normalize all 400k rows and sort them all."""
    terms = parse_expression(expression)
    query = np.zeros(vectors.dim, dtype=np.float32)
    for term in terms:
        v = vectors.vectors[word_index(vectors, term.word)]
        query += np.float32(term.weight) * v / np.linalg.norm(v)
    unit = vectors.vectors / np.linalg.norm(vectors.vectors, axis=1, keepdims=True)
    scores = unit @ (query / np.linalg.norm(query))
    exclude = {vectors.index[t.word] for t in terms}
    order = [i for i in np.argsort(-scores) if i not in exclude][:k]
    return [Neighbour(vectors.words[i], float(scores[i])) for i in order]
