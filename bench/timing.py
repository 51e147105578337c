"""Timing shared by the model benches: laps through a page's steps, one plain forward,
and the interleaved best-of that compares the two."""

from __future__ import annotations

import time
from collections.abc import Callable

import torch


def lap_timer(times: dict[str, float]) -> Callable[[str], None]:
    """A lap(name) that records in `times` the seconds since the previous lap (or this call)."""
    start = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal start
        now = time.perf_counter()
        times[name] = now - start
        start = now

    return lap


def plain_forward(loaded, ids: torch.Tensor) -> float:
    """Seconds of one forward pass with the model's normal attention: the baseline."""
    start = time.perf_counter()
    with loaded.lock, torch.inference_mode():
        loaded.model(input_ids=ids)
    return time.perf_counter() - start


def best_interleaved(repeats: int, forward: Callable[[], float], run: Callable[[], tuple]):
    """Best forward, best whole run and best seconds per step over `repeats` rounds.

    run() returns (seconds per step, anything); the last round's anything comes back too.
    The two alternate, so drift on a shared machine hits both.
    """
    best_steps: dict[str, float] = {}
    best_run = best_forward = float("inf")
    last = None
    for _ in range(repeats):
        best_forward = min(best_forward, forward())
        steps, last = run()
        best_run = min(best_run, sum(steps.values()))
        for name, seconds in steps.items():
            best_steps[name] = min(best_steps.get(name, float("inf")), seconds)
    return best_forward, best_run, best_steps, last
