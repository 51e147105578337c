"""Helpers for streamlit.testing AppTest runs of single pages through the router."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent


def open_page(page: str, timeout: float = 60) -> AppTest:
    """Run app.py (router + sidebar) and switch to `page` (e.g. "pages/generate.py")."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


def all_text(at: AppTest) -> str:
    parts = []
    for kind in ("markdown", "text", "caption", "title", "error", "warning", "info", "success"):
        parts.extend(str(e.value) for e in getattr(at, kind))
    return "\n".join(parts)


def memo(at: AppTest, name: str) -> dict:
    """What components.memo.session_memo keeps under `name` in this session: {key: value}."""
    return at.session_state["memo:" + name]


def last_memo(at: AppTest, name: str) -> tuple:
    """(key, value) of the most recent entry of a session memo."""
    return list(memo(at, name).items())[-1]
