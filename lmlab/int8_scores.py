"""Cosine scores over many unit rows from an int8 copy: a quarter of the bytes to read.

A query over the 400k GloVe rows is bound by memory: the float32 matrix is 76 MiB and
does not fit a CPU cache, so one matrix-vector product waits on ~76 MiB of reads. The int8
copy (one scale per row) is 19 MiB, small enough to stay in a laptop's L3 cache.

The copy is stored in blocks of BLOCK rows, each block transposed (component-major): the
kernel adds q[j] * column j to BLOCK running sums at once, so the sums vectorize across
rows with no per-row horizontal add, and the bytes are read in one forward stream.

The int8 scores are not the answer; they pick the candidates. Each row's rounding error is
at most scale/2 per component, so |approx - exact| <= max(scale)/2 * ||q||_1 =: E for every
row. If A is the want-th highest approx score, every row of the true top `want` has
approx >= A - 2E; those few rows are scored again exactly (float64 over the float32
rows), so the answer is the exact one, only found sooner.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

# Below this many rows a float32 product is already quick and the copy isn't worth it.
MIN_ROWS = 50_000
_EPS32 = float(np.finfo(np.float32).eps)

# Rows per block: the block's running sums (8 KiB of float32) stay in the L1 cache.
BLOCK = 2048


@dataclass(frozen=True)
class Int8Rows:
    blocks: np.ndarray  # (N, D, BLOCK) int8: block b, component j, row b*BLOCK + i; zeros past V
    scale: np.ndarray  # (V,) float32, max |row| / 127
    max_scale: float

    @property
    def n_rows(self) -> int:
        return len(self.scale)

    @property
    def dim(self) -> int:
        return self.blocks.shape[1]

    @property
    def nbytes(self) -> int:
        return self.blocks.nbytes + self.scale.nbytes


def quantize(unit: np.ndarray) -> Int8Rows:
    """One scale per row: row ~= codes * scale, each component off by <= scale / 2."""
    rows, dim = unit.shape
    peak = np.abs(unit).max(axis=1)  # (V,)
    scale = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)  # (V,)
    n_blocks = -(-rows // BLOCK)
    blocks = np.zeros((n_blocks, dim, BLOCK), dtype=np.int8)  # (N, D, BLOCK)
    for b in range(n_blocks):  # block by block: no (V, D) float temporary
        lo, hi = b * BLOCK, min(rows, (b + 1) * BLOCK)
        blocks[b, :, :hi - lo] = np.rint(unit[lo:hi] / scale[lo:hi, None]).T  # (D, n)
    return Int8Rows(blocks, scale, float(scale.max()))


def _scores(blocks, scale, q, out):  # (N, D, B) int8, (V,), (D,) -> (V,)
    n_blocks, dim, block = blocks.shape
    rows = scale.shape[0]
    acc = np.empty(block, dtype=np.float32)
    for b in range(n_blocks):
        acc[:] = 0.0
        for j in range(dim):
            qj = q[j]
            for i in range(block):
                acc[i] += np.float32(blocks[b, j, i]) * qj
        base = b * block
        for i in range(min(block, rows - base)):
            out[base + i] = acc[i] * scale[base + i]
    return out


@lru_cache(maxsize=1)
def _kernel():
    """The scoring loop, compiled once per process; numba keeps the machine code on disk
    where it may write (a read-only install compiles it again, about a second)."""
    from numba import njit

    # One thread per query and no GIL: two students' queries run on two cores at once.
    options = dict(nogil=True, fastmath=True, boundscheck=False)
    try:
        return njit(cache=True, **options)(_scores)
    except RuntimeError:  # no cache folder it can write to
        return njit(**options)(_scores)


_compile_lock = threading.Lock()


def approx_scores(rows: Int8Rows, q: np.ndarray, out: np.ndarray) -> np.ndarray:
    """(V,) scores within error_bound(rows, q) of unit @ q."""
    with _compile_lock:  # the first call compiles; later ones only take the function
        kernel = _kernel()
    return kernel(rows.blocks, rows.scale, np.ascontiguousarray(q, dtype=np.float32), out)


def error_bound(rows: Int8Rows, q: np.ndarray) -> float:
    """E with |approx - exact| <= E for every row."""
    q1 = float(np.abs(q).sum())
    rounding = 0.5 * rows.max_scale * q1  # the int8 codes
    summing = rows.dim * _EPS32 * 127 * rows.max_scale * q1  # float32 sums, any order
    return rounding + summing + 4 * _EPS32  # and the final scale multiply


def candidates(approx: np.ndarray, bound: float, want: int, pick) -> np.ndarray:
    """Indices that surely hold the `want` highest exact scores.

    `pick(scores, want)` returns indices holding the `want` highest of `scores`.
    """
    top = pick(approx, want)
    floor = np.partition(approx[top], len(top) - want)[len(top) - want]  # want-th highest
    return np.flatnonzero(approx >= floor - 2.0 * bound)
