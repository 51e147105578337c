"""Cosine scores over many unit rows from an int8 copy: a quarter of the bytes to read.

A query over the 400k GloVe rows is bound by memory: the float32 matrix is 76 MiB and
does not fit a CPU cache, so one matrix-vector product waits on ~76 MiB of reads. The int8
copy (one scale per row, rows padded to 64 bytes) is 24 MiB, small enough to stay in a laptop's L3 cache.

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


# Rows padded with zeros to whole 64-byte cache lines: the 50-d rows then score ~1.5x quicker.
_LINE = 64


@dataclass(frozen=True)
class Int8Rows:
    codes: np.ndarray  # (V, P) int8, rows / scale rounded, zeros past D (P: D up to 64s)
    scale: np.ndarray  # (V,) float32, max |row| / 127
    max_scale: float


def quantize(unit: np.ndarray) -> Int8Rows:
    """One scale per row: row ~= codes * scale, each component off by <= scale / 2."""
    rows, dim = unit.shape
    peak = np.abs(unit).max(axis=1)  # (V,)
    scale = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)  # (V,)
    codes = np.zeros((rows, -(-dim // _LINE) * _LINE), dtype=np.int8)  # (V, P)
    for lo in range(0, rows, 65_536):  # in slices: no (V, D) float temporary
        hi = lo + 65_536
        codes[lo:hi, :dim] = np.rint(unit[lo:hi] / scale[lo:hi, None])
    return Int8Rows(codes, scale, float(scale.max()))


def _scores(codes, scale, q, out):  # (V, P) int8, (V,), (P,) -> (V,)
    rows, dim = codes.shape
    for i in range(rows):
        acc = np.float32(0.0)
        for j in range(dim):
            acc += np.float32(codes[i, j]) * q[j]
        out[i] = acc * scale[i]
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
    padded = np.zeros(rows.codes.shape[1], dtype=np.float32)  # (P,)
    padded[:len(q)] = q
    return kernel(rows.codes, rows.scale, padded, out)


def error_bound(rows: Int8Rows, q: np.ndarray) -> float:
    """E with |approx - exact| <= E for every row."""
    q1 = float(np.abs(q).sum())
    rounding = 0.5 * rows.max_scale * q1  # the int8 codes
    summing = rows.codes.shape[1] * _EPS32 * 127 * rows.max_scale * q1  # float32 sums, any order
    return rounding + summing + 4 * _EPS32  # and the final scale multiply


def candidates(approx: np.ndarray, bound: float, want: int, pick) -> np.ndarray:
    """Indices that surely hold the `want` highest exact scores.

    `pick(scores, want)` returns indices holding the `want` highest of `scores`.
    """
    top = pick(approx, want)
    floor = np.partition(approx[top], len(top) - want)[len(top) - want]  # want-th highest
    return np.flatnonzero(approx >= floor - 2.0 * bound)
