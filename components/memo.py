"""One per-session memo: a page keeps its last expensive result until its inputs change."""

from __future__ import annotations

from typing import Any, Callable, Hashable, TypeVar

import streamlit as st

T = TypeVar("T")
_PREFIX = "memo:"


def session_memo(name: str, key: Hashable, compute: Callable[[], T]) -> T:
    """The value computed for `key` in this browser session, computed once.

    Only the latest key is kept per name (the session holds one result per view,
    not a growing cache); a failed compute stores nothing, so the next run retries.
    """
    slot = st.session_state.get(_PREFIX + name)
    if slot is None or slot[0] != key:
        slot = (key, compute())
        st.session_state[_PREFIX + name] = slot
    return slot[1]


def forget(name: str) -> None:
    """Drop a memo (after a failure, or when the user asks for a fresh result)."""
    st.session_state.pop(_PREFIX + name, None)


def peek(name: str, key: Hashable) -> Any | None:
    """The memo's value when it was computed for `key`, else None."""
    slot = st.session_state.get(_PREFIX + name)
    return slot[1] if slot is not None and slot[0] == key else None
