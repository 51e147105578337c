"""Helpers for streamlit.testing AppTest runs of single pages through the router."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from lmlab.share_link import unpack_text

ROOT = Path(__file__).resolve().parent.parent


def open_page(page: str, timeout: float = 60) -> AppTest:
    """Run app.py (router + sidebar) and switch to `page` (e.g. "pages/generate.py")."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


def open_link(page: str, *, timeout: float = 90, **params: str) -> AppTest:
    """A fresh session that opens `page` from a link with these query parameters."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.run()
    at.query_params.update(params)
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


# Every kind of widget a link can set; keys are unique across kinds in a session.
WIDGET_KINDS = ("text_area", "slider", "number_input", "selectbox", "radio", "toggle",
                "checkbox", "text_input")


def widget(at: AppTest, key: str):
    for kind in WIDGET_KINDS:
        found = [w for w in getattr(at, kind) if w.key == key]
        if found:
            return found[0]
    raise AssertionError(f"no widget with key {key!r}")


def link_box(at: AppTest) -> str:
    """The link the page's copy-link box offers."""
    [link] = [c.value for c in at.code if c.value.startswith("?") or "://" in c.value]
    return link


def opens_and_writes_back(page: str, params: dict, expected: dict, change: tuple, *,
                          timeout: float = 90) -> AppTest:
    """Open `page` from a link with `params` and check the round trip: no error, no warning
    about the link, the widgets hold `expected` ({key: value}) and the address bar the same
    view; then the change (key, value, name, raw) sets one widget and the address bar
    holds `raw` under `name`."""
    at = open_link(page, timeout=timeout, **params)
    assert not at.error, [e.value for e in at.error]
    assert not [w.value for w in at.warning if "link" in w.value], "a good link got a warning"
    for key, value in expected.items():
        assert widget(at, key).value == value, key
    for name, raw in params.items():  # the address bar still holds the same view
        assert unpack_text(at.query_params[name]) == raw, name
    key, value, name, raw = change
    widget(at, key).set_value(value).run()
    assert not at.exception
    assert unpack_text(at.query_params[name]) == raw
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
