"""One per-session memo: a page keeps its last expensive results until its inputs change."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable, Hashable, TypeVar

import streamlit as st

T = TypeVar("T")
_PREFIX = "memo:"


def session_memo(name: str, key: Hashable, compute: Callable[[], T], keep: int = 1) -> T:
    """The value computed for `key` in this browser session, computed once.

    At most `keep` keys are kept per name, the least recently used leaving first
    (the session holds a result or a few per view, not a growing cache); a failed
    compute stores nothing, so the next run retries.
    """
    slots: OrderedDict = st.session_state.setdefault(_PREFIX + name, OrderedDict())
    if key in slots:
        slots.move_to_end(key)
        return slots[key]
    value = compute()
    slots[key] = value
    while len(slots) > max(1, keep):
        slots.popitem(last=False)
    return value


def forget(name: str) -> None:
    """Drop a memo (after a failure, or when the user asks for a fresh result)."""
    st.session_state.pop(_PREFIX + name, None)


def peek(name: str, key: Hashable) -> Any | None:
    """The memo's value when it was computed for `key`, else None."""
    return st.session_state.get(_PREFIX + name, {}).get(key)
