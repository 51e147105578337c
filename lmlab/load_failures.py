"""What to say when a model fails to load, and when to try again.

A failed load is never cached as broken: the next request after a short pause
tries again, and the pause doubles with each failure in a row (2 s, 4 s, ...
up to a minute), so a crowd of sessions cannot turn a broken model into a
tight loop of reloads. A "Retry" action skips the pause.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from lmlab.errors import ModelUnavailable, is_out_of_memory
from lmlab.registry import ModelSpec

FIRST_PAUSE_S = 2.0
LONGEST_PAUSE_S = 60.0


def explain(spec: ModelSpec, error: BaseException, where: str | None) -> str:
    """One sentence a student or teacher can act on."""
    from lmlab.sources import REBUILD_COMMAND

    kind = type(error).__name__
    if is_out_of_memory(error):
        return (f"There is not enough memory to load {spec.name} ({spec.size_label}); "
                "choose a smaller model, or close other programs and retry.")
    if where == "offline" and spec.offline is not None and spec.offline.kind != "local":
        return (f"The embedded copy of {spec.name} could not be read ({kind}); rebuild it "
                f"with `{REBUILD_COMMAND}`, restart LM Lab, and retry.")
    if where == "hub":
        return (f"{spec.name} could not be downloaded from the Hugging Face Hub ({kind}); "
                "check the connection and retry, or choose a model marked 'offline'.")
    return (f"{spec.name} failed to load ({kind}); the server log has the details. "
            "Retry in a moment, or choose another model.")


@dataclass
class _Failure:
    message: str
    count: int
    retry_at: float


class Backoff:
    """Per-key record of recent load failures (thread-safe)."""

    def __init__(self, first_s: float = FIRST_PAUSE_S, longest_s: float = LONGEST_PAUSE_S):
        self.first_s, self.longest_s = first_s, longest_s
        self._failures: dict[tuple[str, str], _Failure] = {}
        self._lock = threading.Lock()

    def check(self, key: tuple[str, str]) -> None:
        """Raise the last failure's sentence while its pause lasts."""
        with self._lock:
            failure = self._failures.get(key)
            if failure is None:
                return
            wait = failure.retry_at - time.monotonic()
        if wait > 0:
            raise ModelUnavailable(f"{failure.message} (LM Lab tries loading it again in "
                                   f"{max(1, round(wait))} s.)")

    def record(self, key: tuple[str, str], message: str) -> None:
        with self._lock:
            count = self._failures[key].count + 1 if key in self._failures else 1
            pause = min(self.longest_s, self.first_s * 2 ** (count - 1))
            self._failures[key] = _Failure(message, count, time.monotonic() + pause)

    def failed(self, key: tuple[str, str]) -> bool:
        with self._lock:
            return key in self._failures

    def clear(self, key: tuple[str, str]) -> None:
        with self._lock:
            self._failures.pop(key, None)
