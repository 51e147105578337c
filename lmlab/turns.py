"""Taking turns on one model: a fair (first come, first served) re-entrant lock.

Every use of a model goes through `model_turn` (inspection views, beam search,
seq2seq) or, for streamed text, through the batching engine, whose scheduler
thread takes the same lock for each token step. So an inspection that arrives
while students are generating waits at most one step, and the generation
resumes after it. Waiters are served in arrival order and can be told their
place; only inspection views time out, with one clear sentence.
"""

from __future__ import annotations

import contextlib
import inspect
import itertools
import math
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable

from lmlab.cpu_threads import release_worker_threads
from lmlab.errors import LMLabError

LOCK_WAIT_S = 120.0  # inspection views give up after this, with BUSY_MESSAGE
WAIT_HEARTBEAT_S = 1.0  # a waiter's notice is called again this often, even in the same place
GENERATION_WAIT_S = math.inf  # generation that is only waiting its turn never fails
WAITING_MESSAGE = "Another user is generating with this model; your turn comes next…"
BUSY_MESSAGE = ("The model is still busy with other users after {seconds:.0f} seconds; "
                "please try this view again in a moment.")


@dataclass(frozen=True)
class QueuePlace:
    """Where a waiting request stands: position 1 is served next."""

    position: int
    eta_s: float | None = None  # a rough estimate, None when unknown

    def sentence(self) -> str:
        eta = f", about {self.eta_s:.0f} s" if self.eta_s is not None and self.eta_s >= 1 else ""
        return f"Other users are using this model; you are number {self.position} in line{eta}."


def notify_wait(on_wait: Callable[..., None] | None, place: QueuePlace | None) -> None:
    """Call a waiting notice; older callbacks take no argument, newer ones take the place."""
    if on_wait is None:
        return
    try:
        takes_place = bool(inspect.signature(on_wait).parameters)
    except (TypeError, ValueError):  # builtins such as Event.set
        takes_place = False
    if takes_place:
        on_wait(place)
    else:
        on_wait()


class FairLock:
    """A re-entrant lock that hands itself to waiters in the order they arrived.

    `threading.RLock` wakes an arbitrary waiter, so under load one user could wait
    for ever while later ones go first. Here each waiter holds a ticket.
    """

    def __init__(self):
        self._cond = threading.Condition(threading.Lock())
        self._owner: int | None = None
        self._depth = 0
        self._queue: deque[int] = deque()  # tickets, oldest first
        self._tickets = itertools.count()

    # --- tickets: wait in line without losing the place on a time-out ---
    def enqueue(self) -> int:
        with self._cond:
            ticket = next(self._tickets)
            self._queue.append(ticket)
            return ticket

    def place(self, ticket: int) -> int:
        """1 when this ticket is served next (0 once it is no longer waiting)."""
        with self._cond:
            try:
                return self._queue.index(ticket) + 1
            except ValueError:
                return 0

    def wait_turn(self, ticket: int, timeout: float | None = None) -> bool:
        """Take the lock with this ticket; False if the time-out passed first (still in line)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while not (self._owner is None and self._queue and self._queue[0] == ticket):
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._cond.wait(remaining)
            self._queue.popleft()
            self._owner, self._depth = threading.get_ident(), 1
            return True

    def cancel(self, ticket: int) -> None:
        with self._cond:
            with contextlib.suppress(ValueError):
                self._queue.remove(ticket)
            self._cond.notify_all()

    def waiting(self) -> int:
        with self._cond:
            return len(self._queue)

    # --- the threading.Lock interface, so `with loaded.lock:` keeps working ---
    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        me = threading.get_ident()
        with self._cond:
            if self._owner == me:
                self._depth += 1
                return True
            if self._owner is None and not self._queue:
                self._owner, self._depth = me, 1
                return True
            if not blocking:
                return False
        ticket = self.enqueue()
        if self.wait_turn(ticket, None if timeout is None or timeout < 0 else timeout):
            return True
        self.cancel(ticket)
        return False

    def release(self) -> None:
        with self._cond:
            if self._owner != threading.get_ident():
                raise RuntimeError("cannot release a model turn held by another thread")
            self._depth -= 1
            if self._depth == 0:
                self._owner = None
                self._cond.notify_all()

    def held_by_me(self) -> bool:
        with self._cond:
            return self._owner == threading.get_ident()

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()


def acquire(loaded, timeout: float = LOCK_WAIT_S, on_wait: Callable[..., None] | None = None,
            stop: threading.Event | None = None) -> bool:
    """Take the model in turn; call on_wait (with the place in line) while others go first.

    on_wait is called when the place changes and every WAIT_HEARTBEAT_S besides: a
    Streamlit notice raises there once its user has rerun the page or left, so an
    abandoned run gives up its place instead of holding up everyone behind it.
    Returns False if `stop` was set while waiting; raises LMLabError after `timeout`.
    """
    lock: FairLock = loaded.lock
    if lock.acquire(blocking=False):
        return True
    ticket = lock.enqueue()
    deadline = time.monotonic() + timeout
    shown, shown_at = None, -math.inf
    try:
        while True:
            place = lock.place(ticket)
            if place != shown or time.monotonic() - shown_at >= WAIT_HEARTBEAT_S:
                notify_wait(on_wait, QueuePlace(place))
                shown, shown_at = place, time.monotonic()
            if lock.wait_turn(ticket, min(0.2, max(0.0, deadline - time.monotonic()))):
                ticket = None
                return True
            if stop is not None and stop.is_set():
                return False
            if time.monotonic() >= deadline:
                raise LMLabError(BUSY_MESSAGE.format(seconds=timeout))
    finally:
        if ticket is not None:
            lock.cancel(ticket)


@contextlib.contextmanager
def model_turn(loaded, on_wait: Callable[..., None] | None = None, timeout: float = LOCK_WAIT_S):
    """Hold the model for a block: inspection views, beam search, seq2seq (re-entrant)."""
    acquire(loaded, timeout, on_wait)
    try:
        yield loaded
    finally:
        loaded.lock.release()
        if not loaded.lock.held_by_me():  # the outermost turn ended: its OpenMP workers go back
            release_worker_threads()
