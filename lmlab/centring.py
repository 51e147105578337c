"""Hidden states a student can compare: centred over the set, massive dimensions set aside.

A language model's middle layers carry a few dimensions hundreds of times larger
than the rest (massive activations; they sit on every sequence's first token and
act as attention sinks). They are nearly the same for every word, so the raw
cosine between any two hidden states is close to 1 and a projection puts every
point on one line. Subtracting the set's mean vector removes what all items
share, and dropping the few dimensions that still dwarf the others lets the
remaining hundreds decide the geometry.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MASSIVE_FACTOR = 20.0  # a dimension this many times the median size is "massive"


@dataclass
class Centred:
    vectors: np.ndarray  # (N, D - dropped) float32
    dropped: list[int]  # indices of the massive dimensions set aside


def massive_dimensions(vectors: np.ndarray, factor: float = MASSIVE_FACTOR) -> list[int]:
    """Dimensions whose mean |value| over the set is `factor` × the median dimension's."""
    size = np.abs(np.asarray(vectors, dtype=np.float64)).mean(0)  # (D,)
    median = float(np.median(size))
    if median <= 0:
        return []
    return [int(i) for i in np.flatnonzero(size > factor * median)]


def centre_over_set(vectors: np.ndarray, factor: float = MASSIVE_FACTOR) -> Centred:
    """The set's vectors minus their mean, without the massive dimensions: (N, D')."""
    x = np.asarray(vectors, dtype=np.float64)  # (N, D)
    dropped = massive_dimensions(x, factor)
    keep = np.setdiff1d(np.arange(x.shape[1]), dropped)
    x = x[:, keep]
    return Centred((x - x.mean(0, keepdims=True)).astype(np.float32), dropped)
