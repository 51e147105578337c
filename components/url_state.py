"""Links that open the exact view: each page declares the settings its URL carries.

A page binds its settings before drawing their widgets:

    url = PageURL("attention")
    url.bind(url_state.text("text", ATT_TEXT, SAMPLE, max_chars=2000, shared=state.WORKING_TEXT))
    st.text_area(url.label("text", "Text"), **url.kw("text"))

On a page's first run (or when someone opens a new link) each value is read
from st.query_params and checked: a bad one gets one sentence and the default,
never an exception. Every run writes the current values back, so the address
bar always holds a link to what is on screen. A teacher's `lock=` and `hide=`
flags (read in components/presenter.py) disable or hide chosen settings.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Sequence

import streamlit as st

from components import state
from components.i18n import tm
from lmlab.errors import InputError
from lmlab.inputs import plain_text
from lmlab.share_link import MAX_URL_CHARS, pack_text, query_string, unpack_text

LOCK_NOTE = "🔒 Locked by the link this page was opened with."
BASE_ALLOWANCE = 200  # characters left for the server's address in front of the query
HISTORY = 16  # values of one setting this session has read or written, kept to spot echoes


@dataclass(frozen=True)
class Setting:
    name: str  # the URL parameter (?layer=3)
    key: str  # the session key of the widget that shows it
    default: Any  # a value, or a function giving one (the working text)
    parse: Callable[[str], Any]  # URL text -> value; InputError with one sentence
    write: Callable[[Any], str] = str
    shared: str | None = None  # a session key the value is carried in between pages

    def initial(self) -> Any:
        return self.default() if callable(self.default) else self.default


def text(name: str, key: str, default: Any, *, max_chars: int, what: str = "text",
         shared: str | None = None) -> Setting:
    def parse(raw: str) -> str:
        value = unpack_text(raw)
        if len(value) > max_chars:
            raise InputError(f"The link's {what} has {len(value):,} characters, more than this "
                             f"page takes ({max_chars:,}); the page keeps its own.")
        return plain_text(value)
    return Setting(name, key, default, parse, pack_text, shared)


def number(name: str, key: str, default: float, *, low: float, high: float, what: str,
           integer: bool = True) -> Setting:
    def parse(raw: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            raise InputError(f"The link's {what} is not a number; the page shows its "
                             f"default, {_show(default)}.") from None
        if integer and value != int(value) or not low <= value <= high:
            raise InputError(f"The link asks for {what} {_show(value)}, but here it goes from "
                             f"{_show(low)} to {_show(high)}; the page shows its default, "
                             f"{_show(default)}.")
        return int(value) if integer else value
    return Setting(name, key, default, parse, _show)


def choice(name: str, key: str, default: Any, options: Sequence[Any], *, what: str,
           shared: str | None = None) -> Setting:
    by_text = {str(o): o for o in options}

    def parse(raw: str) -> Any:
        if raw not in by_text:
            raise InputError(f"The link names a {what} that this page does not have; the "
                             "page shows its default.")
        return by_text[raw]
    return Setting(name, key, default, parse, str, shared)


def flag(name: str, key: str, default: bool, *, what: str) -> Setting:
    def parse(raw: str) -> bool:
        if raw.lower() not in ("1", "0", "true", "false"):
            raise InputError(f"The link's {what} should be 1 or 0; the page shows its default.")
        return raw.lower() in ("1", "true")
    return Setting(name, key, default, parse, lambda v: "1" if v else "0")


def checked(setting: Setting, check: Callable[[Any], Any], *, what: str) -> Setting:
    """`setting`, whose value from a link must also pass the page's own check (a core
    function that raises InputError): what the page would refuse gets its sentence and
    the default, not a refusal later on the page."""
    def parse(raw: str) -> Any:
        value = setting.parse(raw)
        try:
            check(value)
        except InputError as error:
            raise InputError(f"{error} The link's {what} is not used; the page keeps its "
                             "own.") from None
        return value
    return replace(setting, parse=parse)


def _show(x: float) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def names(raw: str | None) -> frozenset[str]:
    """The setting names of a `lock=` or `hide=` flag ("text,layer")."""
    return frozenset(n.strip() for n in (raw or "").split(",") if n.strip())


def is_locked(name: str) -> bool:
    return name in st.session_state.get(state.LOCKED, ()) or is_hidden(name)


def is_hidden(name: str) -> bool:
    return name in st.session_state.get(state.HIDDEN, ())


class PageURL:
    """The URL-bound settings of one page."""

    def __init__(self, page: str):
        self.page = page
        self.settings: dict[str, Setting] = {}
        self.left_out: list[str] = []  # settings too long to put in a link
        self.labelled: set[str] = set()  # settings whose label carries the 🔒 itself
        st.session_state.setdefault(state.URL_SEEN, {})["_pages"] = [self]

    def bind(self, *settings: Setting) -> None:
        """Read each setting from the link (when new), else keep the session's; write it back."""
        seen = st.session_state.setdefault(state.URL_SEEN, {}).setdefault(self.page, {})
        history = st.session_state.setdefault(state.URL_HISTORY, {}).setdefault(self.page, {})
        for setting in settings:
            self.settings[setting.name] = setting
            self._restore(setting, seen, history.get(setting.name, ()))
            value = st.session_state[setting.key]
            if setting.shared:
                st.session_state[setting.shared] = value
            seen[setting.name] = setting.write(value)
            st.query_params[setting.name] = seen[setting.name]
            kept = [v for v in history.get(setting.name, []) if v != seen[setting.name]]
            history[setting.name] = (kept + [seen[setting.name]])[-HISTORY:]
        self._fit_in_link(seen)
        self._hide_controls(settings)

    def _restore(self, setting: Setting, seen: dict[str, str], earlier: Sequence[str]) -> None:
        raw = st.query_params.get(setting.name)
        # A rerun carries the address bar as the browser last had it. A value this session
        # wrote before is that echo (the user typed again before the new link arrived), not
        # a link someone opened: taking it would throw away what was just typed.
        if raw is not None and raw != seen.get(setting.name) and raw not in earlier:
            try:
                st.session_state[setting.key] = setting.parse(raw)
                return
            except InputError as error:
                st.warning(tm(str(error)), icon="🔗")
                st.session_state[setting.key] = setting.initial()
                return
        if is_locked(setting.name) and setting.name in seen:
            # A locked control keeps the value the link set, whatever the browser sends.
            try:
                st.session_state[setting.key] = setting.parse(seen[setting.name])
            except InputError:
                pass
        if setting.key not in st.session_state:
            st.session_state[setting.key] = setting.initial()

    def _fit_in_link(self, seen: dict[str, str]) -> None:
        """Leave the longest texts out of the link when it would pass ~2,000 characters."""
        self.left_out = []
        params = {k: st.query_params[k] for k in st.query_params}
        while len(query_string(params)) > MAX_URL_CHARS - BASE_ALLOWANCE:
            longest = max((n for n in self.settings if n in params), key=lambda n: len(params[n]))
            params.pop(longest)
            del st.query_params[longest]
            seen.pop(longest, None)
            self.left_out.append(longest)
        st.session_state.setdefault(state.URL_SEEN, {})["_left_out"] = list(self.left_out)

    def _hide_controls(self, settings: Sequence[Setting]) -> None:
        hidden = [s.key for s in settings if is_hidden(s.name)]
        if hidden:  # Streamlit gives every keyed element the class st-key-<key>
            rules = " ".join(f".st-key-{key} {{ display: none; }}" for key in hidden)
            st.html(f"<style>{rules}</style>")

    def locked(self, name: str) -> bool:
        return is_locked(name)

    def label(self, name: str, label: str) -> str:
        self.labelled.add(name)
        return f"{label} 🔒" if is_locked(name) else label

    def mark_locked_labels(self) -> None:
        """A 🔒 after the label of every locked control whose page did not add one itself."""
        keys = [s.key for n, s in self.settings.items()
                if is_locked(n) and not is_hidden(n) and n not in self.labelled]
        if keys:
            rules = " ".join(f'.st-key-{key} [data-testid="stWidgetLabel"] p::after '
                             '{ content: " 🔒"; }' for key in keys)
            st.html(f"<style>{rules}</style>")

    def kw(self, name: str, *, disabled: bool = False, help: str | None = None,
           on_change: Callable | None = None) -> dict[str, Any]:
        """key, disabled and help for the widget of setting `name`."""
        setting = self.settings[name]
        locked = is_locked(name)
        out: dict[str, Any] = {"key": setting.key, "disabled": disabled or locked}
        notes = [n for n in (help, LOCK_NOTE if locked else None) if n]
        if notes:
            out["help"] = "  \n".join(notes)
        if setting.shared or on_change:
            out["on_change"] = _carry
            out["args"] = (setting, on_change)
        return out


def _carry(setting: Setting, then: Callable | None) -> None:
    """Carry a changed shared value at once: a page switch may come before the next run."""
    if setting.shared:
        st.session_state[setting.shared] = st.session_state[setting.key]
    if then is not None:
        then()


def finish_page() -> None:
    """After the page ran (app.py): mark its locked controls."""
    for page in st.session_state.get(state.URL_SEEN, {}).pop("_pages", []):
        page.mark_locked_labels()


def switch_to(page_path: str, params: dict[str, str]) -> None:
    """Open another page on these settings, as a shared link would (even on values it had)."""
    st.session_state.get(state.URL_HISTORY, {}).pop(Path(page_path).stem, None)
    st.switch_page(page_path, query_params=params)


def left_out_of_link() -> list[str]:
    return list(st.session_state.get(state.URL_SEEN, {}).get("_left_out", []))
