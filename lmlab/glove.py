"""GloVe: arithmetic on pretrained word vectors, and GloVe trained from scratch.

Queries on the 400k GloVe words use the matrix that WordVectors normalized
once at load: cosine similarity to every word is one matrix-vector product
`unit @ q`, and the top k come from np.argpartition (no full sort).

Training follows Pennington et al. (2014):
  X_ij  = sum over co-occurrences of j within `window` words of i of 1/distance
  f(x)  = min(1, (x / x_max) ** alpha)
  J     = sum_{X_ij > 0} f(X_ij) (w_i . w~_j + b_i + b~_j - log X_ij) ** 2
and the usual final vectors are w + w~.
"""

from __future__ import annotations

import contextlib
import difflib
import re
from collections import Counter
from pathlib import Path
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch

from lmlab.errors import InputError
from lmlab.wordvectors import WordVectors, score_buffer

MAX_TERMS = 12  # words in one expression
MAX_EXPRESSION_CHARS = 300
MAX_TOP_K = 50
SUGGEST_FROM = 100_000  # GloVe lists words by frequency: suggest common spellings
MAX_CORPUS_CHARS = 400_000
MAX_TRAIN_VOCAB = 2_000
CORPORA = Path(__file__).resolve().parent.parent / "assets" / "corpora"

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
    if text is None or not text.strip():
        raise InputError("Please type an expression, for example: king - man + woman.")
    if len(text) > MAX_EXPRESSION_CHARS:
        raise InputError(f"The expression is {len(text):,} characters; the limit is "
                         f"{MAX_EXPRESSION_CHARS}.")
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
    key = (word or "").strip().lower()
    if not key:
        raise InputError("Please type a word.")
    if key not in vectors.index:
        close = suggest(vectors, key)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise InputError(f"“{key[:40]}” is not among the {len(vectors.words):,} words of "
                         f"the vocabulary.{hint}")
    return vectors.index[key]


@dataclass
class Neighbour:
    word: str
    cosine: float


def top_k(unit: np.ndarray, query: np.ndarray, k: int, exclude: set[int] = frozenset()
          ) -> list[tuple[int, float]]:
    """The k rows of `unit` (V, D) with the highest cosine to `query` (D,).

    One matrix-vector product and one argpartition: O(V) instead of a sort.
    """
    norm = float(np.linalg.norm(query))
    if norm == 0.0:
        raise InputError("The expression adds up to the zero vector (the words cancel out).")
    q = (query / norm).astype(unit.dtype, copy=False)
    scores = np.dot(unit, q, out=score_buffer(len(unit))) if unit.dtype == np.float32 \
        else unit @ q  # (V,)
    want = min(len(scores), k + len(exclude))
    idx = np.argpartition(scores, len(scores) - want)[len(scores) - want:]  # no negated copy
    idx = idx[np.argsort(-scores[idx])]
    out = [(int(i), float(scores[i])) for i in idx if int(i) not in exclude]
    return out[:k]


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
    return [Neighbour(vectors.words[i], s) for i, s in top_k(vectors.unit, query, k, exclude)]


def analogy(vectors: WordVectors, a: str, b: str, c: str, k: int = 10) -> list[Neighbour]:
    """'a is to b as c is to ?': b - a + c (man : king :: woman : queen)."""
    return evaluate(vectors, f"{b} - {a} + {c}", k)


def nearest(vectors: WordVectors, word: str, k: int = 10) -> list[Neighbour]:
    k = _check_k(k)
    i = word_index(vectors, word)
    return [Neighbour(vectors.words[j], s) for j, s in top_k(vectors.unit, vectors.unit[i], k, {i})]


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


# ----------------------------------------------------------------------------
# Co-occurrence counts.

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def tokenize_corpus(text: str) -> list[list[str]]:
    """Lower-case words, one list per line: windows never cross a line break."""
    if text is None or not text.strip():
        raise InputError("The corpus is empty: type some text or pick a sample corpus.")
    if len(text) > MAX_CORPUS_CHARS:
        raise InputError(f"The corpus is {len(text):,} characters; the limit is "
                         f"{MAX_CORPUS_CHARS:,}.")
    lines = [_WORD.findall(line.lower()) for line in text.splitlines()]
    lines = [line for line in lines if line]
    if sum(len(line) for line in lines) < 2:
        raise InputError("The corpus needs at least two words.")
    return lines


@dataclass
class Vocabulary:
    words: list[str]  # most frequent first
    counts: list[int]
    index: dict[str, int] = field(repr=False)
    dropped: int = 0  # distinct words left out by the cap

    def __len__(self) -> int:
        return len(self.words)


def build_vocabulary(lines: list[list[str]], max_size: int = MAX_TRAIN_VOCAB,
                     min_count: int = 1) -> Vocabulary:
    counts = Counter(w for line in lines for w in line)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    kept = [(w, c) for w, c in ranked if c >= min_count][:max_size]
    if len(kept) < 2:
        raise InputError("The corpus needs at least two different words "
                         f"(seen at least {min_count} times).")
    words = [w for w, _ in kept]
    return Vocabulary(words, [c for _, c in kept], {w: i for i, w in enumerate(words)},
                      dropped=len(counts) - len(kept))


def cooccurrence(lines: list[list[str]], vocab: Vocabulary, window: int = 5,
                 distance_weighting: bool = True) -> np.ndarray:
    """Symmetric X (V, V): X_ij += 1/d for each j at distance d <= window of i.

    Words outside the vocabulary keep their place (they still count as
    distance) but add nothing. With distance_weighting False, every pair adds 1.
    """
    if not 1 <= int(window) <= 20:
        raise InputError("The window must be between 1 and 20 words.")
    size = len(vocab)
    X = np.zeros((size, size), dtype=np.float64)
    for line in lines:
        ids = np.array([vocab.index.get(w, -1) for w in line], dtype=np.int64)
        for d in range(1, min(window, len(ids) - 1) + 1):
            left, right = ids[:-d], ids[d:]
            both = (left >= 0) & (right >= 0)
            weight = 1.0 / d if distance_weighting else 1.0
            np.add.at(X, (left[both], right[both]), weight)
            np.add.at(X, (right[both], left[both]), weight)
    return X


def weighting(x: np.ndarray | float, x_max: float = 100.0, alpha: float = 0.75) -> np.ndarray:
    """f(x) = (x / x_max) ** alpha, capped at 1; f(0) = 0."""
    if x_max <= 0:
        raise InputError("x_max must be positive.")
    return np.minimum(np.power(np.asarray(x, dtype=np.float64) / x_max, alpha), 1.0)


# ----------------------------------------------------------------------------
# Training.

@dataclass
class GloveConfig:
    dim: int = 10
    epochs: int = 50
    x_max: float = 10.0  # the paper's 100 suits billions of tokens; toy corpora count lower
    alpha: float = 0.75
    optimizer: str = "adagrad"  # or "adam"
    learning_rate: float = 0.1
    batch_size: int = 512
    seed: int = 0

    def validate(self) -> "GloveConfig":
        if not 2 <= self.dim <= 300:
            raise InputError("The vector size must be between 2 and 300.")
        if not 1 <= self.epochs <= 2000:
            raise InputError("The number of epochs must be between 1 and 2,000.")
        if self.optimizer not in ("adagrad", "adam"):
            raise InputError("The optimizer must be AdaGrad or Adam.")
        if not 0 < self.learning_rate <= 5:
            raise InputError("The learning rate must be between 0 and 5.")
        if not 0 < self.alpha <= 2 or self.x_max <= 0:
            raise InputError("alpha must be in (0, 2] and x_max positive.")
        return self


@contextlib.contextmanager
def one_thread():
    """Run torch on one thread for a while.

    The tensors here are small: with two threads on a busy 2-core machine,
    OpenMP's hand-offs cost far more than the arithmetic (measured ~70x
    slower per batch). The previous setting comes back afterwards.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


@dataclass
class GloveResult:
    words: list[str]
    vectors: np.ndarray  # (V, D): w + w~, the usual final vectors
    loss_history: list[float]  # J after each epoch (summed while the epoch ran)
    initial_loss: float  # J with the random starting parameters
    final_loss: float  # J with the final parameters
    config: GloveConfig
    seconds: float


class GloveTrainer:
    """The GloVe model on the non-zero entries of X, one epoch per `step()`.

    Gradients are written by hand (vectorized over a batch of entries, no
    autograd) and applied with AdaGrad or Adam, so an epoch on
    ~100k entries takes milliseconds. Stepping epoch by epoch lets a UI
    draw the loss between epochs in its own thread.
    """

    def __init__(self, X: np.ndarray, config: GloveConfig):
        self.config = config.validate()
        i, j = np.nonzero(X)
        if len(i) == 0:
            raise InputError("No two words co-occur: use a longer corpus or a wider window.")
        gen = torch.Generator().manual_seed(config.seed)
        self.generator = gen
        self.i = torch.from_numpy(i.astype(np.int64))
        self.j = torch.from_numpy(j.astype(np.int64))
        x = X[i, j]
        self.log_x = torch.from_numpy(np.log(x)).float()  # (N,)
        self.f = torch.from_numpy(weighting(x, config.x_max, config.alpha)).float()  # (N,)
        size, dim = X.shape[0], config.dim
        scale = 0.5 / dim  # the reference implementation's (rand - 0.5) / dim
        self.W = ((torch.rand(size, dim, generator=gen) - 0.5) * 2 * scale)  # (V, D)
        self.Wc = ((torch.rand(size, dim, generator=gen) - 0.5) * 2 * scale)  # (V, D) context
        self.b = torch.zeros(size)
        self.bc = torch.zeros(size)
        self.params = [self.W, self.Wc, self.b, self.bc]
        self.grads = [torch.zeros_like(p) for p in self.params]
        # Optimizer state, one buffer per parameter: AdaGrad's sum of squared
        # gradients, or Adam's two moving averages.
        self.state = [[torch.zeros_like(p) for p in self.params]
                      for _ in range(2 if config.optimizer == "adam" else 1)]
        self.updates = 0
        self.epoch = 0
        self.loss_history: list[float] = []

    @property
    def entries(self) -> int:
        return len(self.i)

    def gradients(self, idx: torch.Tensor) -> tuple[list[torch.Tensor], float]:
        """dJ/d(W, W~, b, b~) and J over the entries `idx`, by hand.

        With diff = w_i . w~_j + b_i + b~_j - log X_ij and J = sum f diff^2:
        dJ/dw_i = 2 f diff w~_j, dJ/dw~_j = 2 f diff w_i, dJ/db_i = dJ/db~_j = 2 f diff,
        summed over every entry that row appears in (index_add_).
        """
        i, j = self.i[idx], self.j[idx]
        wi, wj = self.W[i], self.Wc[j]  # (B, D)
        diff = (wi * wj).sum(1) + self.b[i] + self.bc[j] - self.log_x[idx]  # (B,)
        fdiff = self.f[idx] * diff  # (B,)
        g = 2.0 * fdiff
        grads = self.grads
        for grad in grads:
            grad.zero_()
        grads[0].index_add_(0, i, g[:, None] * wj)
        grads[1].index_add_(0, j, g[:, None] * wi)
        grads[2].index_add_(0, i, g)
        grads[3].index_add_(0, j, g)
        return grads, float((fdiff * diff).sum())

    def _batch_step(self, idx: torch.Tensor) -> float:
        grads, loss = self.gradients(idx)
        self._apply(grads)
        return loss

    def _apply(self, grads: list[torch.Tensor]) -> None:
        """One optimizer update, written out (torch.optim's bookkeeping costs more
        than the arithmetic on matrices this small)."""
        lr, eps = self.config.learning_rate, 1e-8
        self.updates += 1
        if self.config.optimizer == "adagrad":
            for p, g, g2 in zip(self.params, grads, self.state[0]):
                g2.addcmul_(g, g)  # sum of squared gradients, per coordinate
                p.addcdiv_(g, g2.sqrt().add_(eps), value=-lr)
            return
        b1, b2 = 0.9, 0.999
        c1, c2 = 1 - b1 ** self.updates, 1 - b2 ** self.updates
        for p, g, m, v in zip(self.params, grads, self.state[0], self.state[1]):
            m.mul_(b1).add_(g, alpha=1 - b1)
            v.mul_(b2).addcmul_(g, g, value=1 - b2)
            p.addcdiv_(m, (v / c2).sqrt_().add_(eps), value=-lr / c1)

    @torch.no_grad()
    def step(self) -> float:
        """One pass over every non-zero X_ij in a random order; returns J summed."""
        order = torch.randperm(self.entries, generator=self.generator)
        total = 0.0
        with one_thread():
            for start in range(0, self.entries, self.config.batch_size):
                total += self._batch_step(order[start:start + self.config.batch_size])
        self.epoch += 1
        self.loss_history.append(total)
        return total

    @torch.no_grad()
    def loss(self) -> float:
        """J = sum f(X_ij) (w_i . w~_j + b_i + b~_j - log X_ij)^2 with the current parameters."""
        diff = ((self.W[self.i] * self.Wc[self.j]).sum(1) + self.b[self.i] + self.bc[self.j]
                - self.log_x)
        return float((self.f * diff * diff).sum())

    def vectors(self) -> np.ndarray:
        """w + w~ (V, D)."""
        return (self.W + self.Wc).numpy().copy()


def train_glove(X: np.ndarray, words: list[str], config: GloveConfig | None = None,
                progress: Callable[[int, int, float], object] | None = None) -> GloveResult:
    """Train GloVe on co-occurrence counts X (V, V).

    progress(epoch, epochs, loss) is called after every epoch in the caller's
    thread; if it returns False, training stops early (a Stop button).
    """
    import time

    config = (config or GloveConfig()).validate()
    start = time.perf_counter()
    trainer = GloveTrainer(X, config)
    initial = trainer.loss()
    for _ in range(config.epochs):
        loss = trainer.step()
        if progress is not None and progress(trainer.epoch, config.epochs, loss) is False:
            break
    return GloveResult(list(words), trainer.vectors(), trainer.loss_history, initial,
                       trainer.loss(), config, time.perf_counter() - start)


def cosine_between(vectors: np.ndarray, words: list[str], a: str, b: str) -> float:
    index = {w: i for i, w in enumerate(words)}
    for w in (a, b):
        if w not in index:
            raise InputError(f"“{w}” is not in the trained vocabulary.")
    va, vb = vectors[index[a]], vectors[index[b]]
    return float(va @ vb / (np.linalg.norm(va) * np.linalg.norm(vb) + 1e-12))


def small_neighbours(vectors: np.ndarray, words: list[str], word: str, k: int = 5
                     ) -> list[Neighbour]:
    """Nearest words in a small trained vocabulary (cosine)."""
    trained = WordVectors.from_arrays(words, vectors)
    return nearest(trained, word, min(k, len(words) - 1)) if len(words) > 1 else []


def sample_corpora() -> dict[str, Path]:
    """Ready-made corpora shipped in assets/corpora: a readable name -> the file."""
    found = {}
    toy = CORPORA / "glove_fruit.txt"
    if toy.is_file():
        found["Toy corpus: fruit and vehicles"] = toy
    for path in sorted(CORPORA.glob("shakespeare*.txt")):
        found["Shakespeare: " + path.stem.split("_", 1)[-1].replace("_", " ").title()] = path
    return found


def corpus_stats(lines: list[list[str]]) -> dict:
    tokens = sum(len(line) for line in lines)
    return {"tokens": tokens, "distinct": len({w for line in lines for w in line}),
            "lines": len(lines)}
