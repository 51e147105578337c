"""GloVe trained from scratch on a small corpus (Pennington et al., 2014).

  X_ij  = sum over co-occurrences of j within `window` words of i of 1/distance
  f(x)  = min(1, (x / x_max) ** alpha)
  J     = sum_{X_ij > 0} f(X_ij) (w_i . w~_j + b_i + b~_j - log X_ij) ** 2
and the usual final vectors are w + w~.
"""

from __future__ import annotations

import contextlib
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from lmlab import inputs
from lmlab.errors import InputError
from lmlab.word_arithmetic import Neighbour, nearest
from lmlab.wordvectors import WordVectors

MAX_CORPUS_CHARS = 400_000
MAX_TRAIN_VOCAB = 2_000
CORPORA = Path(__file__).resolve().parent.parent / "assets" / "corpora"


# ----------------------------------------------------------------------------
# Co-occurrence counts.

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def tokenize_corpus(text: str) -> list[list[str]]:
    """Lower-case words, one list per line: windows never cross a line break."""
    text = inputs.check_text(text, what="The corpus", max_chars=MAX_CORPUS_CHARS,
                             empty="The corpus is empty: type some text or pick a sample corpus.")
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
