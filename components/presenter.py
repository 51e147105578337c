"""Classroom settings every page shares: presenter mode, a teacher's locks, the share link.

`?present=1` turns on presenter mode (large type, high contrast, the sidebar
folded, projector-sized figures); `?lock=text,layer` and `?hide=temperature`
lock or hide the named settings on every page of the session (the names are
the URL parameters of components/url_state.py). All three stay in the link.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from components import state, url_state
from components.i18n import t
from lmlab.share_link import link_for
from lmlab.viz.projector import figure_height as _figure_height
from lmlab.viz.projector import for_projector

CSS = Path(__file__).resolve().parent.parent / "assets" / "css" / "presenter.css"
FLAGS = {"lock": state.LOCKED, "hide": state.HIDDEN}


def read_classroom_flags() -> bool:
    """Read present/lock/hide from a newly opened link; True when presenter mode is on.

    Runs in app.py before st.set_page_config, which folds the sidebar when presenting.
    """
    seen = st.session_state.setdefault(state.URL_SEEN, {}).setdefault("_app", {})
    raw = st.query_params.get("present")
    if raw is not None and raw != seen.get("present"):
        st.session_state[state.PRESENTER] = raw.lower() in ("1", "true", "yes", "on")
        seen["present"] = raw
    for name, key in FLAGS.items():
        raw = st.query_params.get(name)
        if raw is not None and raw != seen.get(name):
            st.session_state[key] = url_state.names(raw)
            seen[name] = raw
    return presenting()


def keep_classroom_flags() -> None:
    """Write the flags back: a page switch starts with an empty address bar."""
    seen = st.session_state[state.URL_SEEN]["_app"]
    if presenting():
        st.query_params["present"] = seen["present"] = "1"
    elif "present" in st.query_params:
        # seen keeps "1": a rerun that still carries the old address bar is not a new link
        del st.query_params["present"]
    for name, key in FLAGS.items():
        chosen = st.session_state.get(key)
        if chosen:
            st.query_params[name] = seen[name] = ",".join(sorted(chosen))
    language = st.session_state.get(state.LANGUAGE)
    if language and language != "en":  # the link opens the lab in the same language
        st.query_params["lang"] = language


def presenting() -> bool:
    return bool(st.session_state.get(state.PRESENTER))


def presenter_toggle() -> None:
    """In the shared sidebar: the same switch as ?present=1."""
    st.toggle(f"📽 {t('Presenter mode')}", key=state.PRESENTER,
              help=t("Large type, high contrast and projector-sized figures; the link "
                     "gets ?present=1 so a class can open the same view."))


def presenter_css() -> None:
    if presenting() and CSS.is_file():
        st.html(f"<style>{CSS.read_text()}</style>")


def figure_height(height: int | None = None) -> int:
    """The height a page should give a figure (taller in presenter mode)."""
    return _figure_height(height, presenting())


def show_chart(where: Any, fig, **kwargs):
    """st.plotly_chart (or a column's), with projector-sized type in presenter mode."""
    return where.plotly_chart(for_projector(fig) if presenting() else fig, **kwargs)


def share_box() -> None:
    """Sidebar: the full link to the view on screen, ready to copy."""
    params = {k: st.query_params[k] for k in st.query_params}
    base = st.context.url or ""
    link = link_for(base, params) if base else "?" + link_for("", params).lstrip("?")
    url_state.finish_page()
    with st.popover(f"🔗 {t('Copy link to this view')}", width="stretch"):
        st.caption(t("Anyone who opens this link sees this page with these settings. "
                     "Add &lock=text,layer to lock settings, &hide=… to hide them, "
                     "&present=1 for presenter mode."))
        st.code(link, language=None, wrap_lines=True)
        left_out = url_state.left_out_of_link()
        if left_out:
            st.warning(t("The text is too long to share in a link (more than about 2,000 "
                         "characters once encoded); the link opens this page with its own "
                         "text."), icon="🔗")
