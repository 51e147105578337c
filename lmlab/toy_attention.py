"""The textbook worked example: self-attention over five tokens, by hand.

X (5, 4) holds toy embeddings; Q = X W_q, K = X W_k, V = X W_v (4 -> 3);
weights = softmax(Q Kᵀ / sqrt(d_k) + mask) row by row, so every row sums to 1;
output = weights V. Small enough to check with a calculator.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from lmlab.errors import InputError

TOY_TOKENS = ("Cats", "chase", "small", "grey", "mice")
FEATURES = ("animal", "action", "size", "colour")  # what each toy embedding dimension stands for
EMBEDDING_RANGE = (-2.0, 2.0)


@dataclass(frozen=True)
class ToyExample:
    tokens: tuple[str, ...]
    embeddings: np.ndarray  # (T, C) one row per token
    w_q: np.ndarray  # (C, d_k)
    w_k: np.ndarray  # (C, d_k)
    w_v: np.ndarray  # (C, d_v)

    def with_embedding(self, index: int, vector) -> "ToyExample":
        """A copy with token `index`'s embedding replaced (what the sliders do)."""
        n, width = self.embeddings.shape
        if not 0 <= int(index) < n:
            raise InputError(f"Toy token must be between 0 and {n - 1}; got {index}.")
        vector = np.asarray(vector, dtype=float)
        if vector.shape != (width,):
            raise InputError(f"A toy embedding has {width} numbers; got {vector.size}.")
        low, high = EMBEDDING_RANGE
        if not np.all((low <= vector) & (vector <= high)):
            raise InputError(f"Toy embedding values must be between {low:g} and {high:g}.")
        embeddings = self.embeddings.copy()
        embeddings[int(index)] = vector
        return replace(self, embeddings=embeddings)


def default_toy() -> ToyExample:
    embeddings = np.array([
        [1.0, 0.0, 0.2, 0.0],  # Cats
        [0.0, 1.0, 0.0, 0.1],  # chase
        [0.1, 0.0, 1.0, 0.0],  # small
        [0.0, 0.1, 0.0, 1.0],  # grey
        [0.9, 0.0, 0.6, 0.5],  # mice
    ])
    # Hand-picked projections: queries look for actions and animals, keys advertise them.
    w_q = np.array([[0.0, 2.0, 1.0], [2.0, 0.0, 0.0], [0.0, 1.0, 2.0], [0.0, 1.0, 2.0]])
    w_k = np.array([[0.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 2.0], [0.0, 0.0, 2.0]])
    w_v = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.5, 0.0, 0.5]])
    return ToyExample(TOY_TOKENS, embeddings, w_q, w_k, w_v)


@dataclass
class ToyResult:
    tokens: tuple[str, ...]
    queries: np.ndarray  # (T, d_k)
    keys: np.ndarray  # (T, d_k)
    values: np.ndarray  # (T, d_v)
    scores: np.ndarray  # (T, T) q_i · k_j
    scaled: np.ndarray  # (T, T) scores / sqrt(d_k)
    mask: np.ndarray  # (T, T) 0 or -inf
    weights: np.ndarray  # (T, T) softmax rows, each sums to 1
    output: np.ndarray  # (T, d_v) weights @ values


def softmax_rows(x: np.ndarray) -> np.ndarray:
    """Row-wise softmax, stable (subtract each row's max); -inf entries get weight 0."""
    shifted = x - x.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def compute_toy(example: ToyExample, causal: bool = False) -> ToyResult:
    x = example.embeddings  # (T, C)
    q, k, v = x @ example.w_q, x @ example.w_k, x @ example.w_v  # (T, d)
    scores = q @ k.T  # (T, T)
    scaled = scores / np.sqrt(q.shape[1])
    n = len(example.tokens)
    mask = np.triu(np.full((n, n), -np.inf), 1) if causal else np.zeros((n, n))
    weights = softmax_rows(scaled + mask)
    return ToyResult(example.tokens, q, k, v, scores, scaled, mask, weights, weights @ v)
