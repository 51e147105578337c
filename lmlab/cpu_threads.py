"""Give a thread's OpenMP worker threads back when it stops running the model.

Torch on Linux runs its CPU kernels on GNU OpenMP (libgomp). Every thread that
runs a kernel gets its own team of worker threads, kept for the thread's life.
While the process holds more such workers than it has cores, libgomp stops
letting idle workers spin and puts them to sleep after every parallel region;
a decode step runs hundreds of small regions, so every thread's generation then
runs at about 0.6x its speed (measured on 2 cores: 40-45 tok/s alone, 23-28
tok/s while a second, idle thread still holds its team). The engine's thread and
every thread that takes a model turn therefore hand their team back when they
go idle; the next kernel makes a fresh one in microseconds.
"""

from __future__ import annotations

import ctypes
import functools
import sys


def _loaded_libgomps() -> list[str]:
    """Every libgomp this process has loaded: torch's own copy, and the system's when
    another package brought it in (each keeps its own teams)."""
    if not sys.platform.startswith("linux"):
        return []  # macOS (LLVM OpenMP) and Windows pause process-wide: leave them be
    try:
        with open("/proc/self/maps") as maps:
            return sorted({line.split()[-1] for line in maps if "libgomp" in line})
    except OSError:
        return []


@functools.lru_cache(maxsize=8)
def _pause_function(path: str):
    try:
        pause = ctypes.CDLL(path).omp_pause_resource_all
    except (OSError, AttributeError):
        return None  # an old libgomp without OpenMP 5.0's pause
    pause.argtypes, pause.restype = [ctypes.c_int], ctypes.c_int
    return pause


def release_worker_threads() -> bool:
    """Free the calling thread's OpenMP workers (call it outside any torch kernel).

    Returns whether a libgomp took the call. Only the calling thread's team goes;
    other threads' kernels are untouched.
    """
    pauses = [p for p in map(_pause_function, _loaded_libgomps()) if p is not None]
    return any([pause(1) == 0 for pause in pauses])  # 1: omp_pause_soft
