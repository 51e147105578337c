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


@functools.lru_cache(maxsize=1)
def _pause_functions() -> tuple:
    """omp_pause_resource_all of every libgomp loaded at the first call: torch's own copy
    (torch is imported by then), and the system's when another package brought it in
    (each copy keeps its own teams). Found once: /proc/self/maps takes ~1 ms to read."""
    if not sys.platform.startswith("linux"):
        return ()  # macOS (LLVM OpenMP) and Windows pause process-wide: leave them be
    try:
        with open("/proc/self/maps") as maps:
            paths = sorted({line.split()[-1] for line in maps if "libgomp" in line})
    except OSError:
        return ()
    found = []
    for path in paths:
        try:
            pause = ctypes.CDLL(path).omp_pause_resource_all
        except (OSError, AttributeError):
            continue  # an old libgomp without OpenMP 5.0's pause
        pause.argtypes, pause.restype = [ctypes.c_int], ctypes.c_int
        found.append(pause)
    return tuple(found)


def release_worker_threads() -> bool:
    """Free the calling thread's OpenMP workers (call it outside any torch kernel).

    Returns whether a libgomp took the call. Only the calling thread's team goes;
    other threads' kernels are untouched.
    """
    return any([pause(1) == 0 for pause in _pause_functions()])  # 1: omp_pause_soft
