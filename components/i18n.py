"""UI labels through one small table: a language switch is a lookup.

Labels are written in English in the code and wrapped in t(); the table for
each other language (assets/i18n/<lang>.json, read by lmlab.i18n) maps the
English text to its own. Missing entries fall back to English, and are
recorded in MISSING so a test can list them.
"""

from __future__ import annotations

import streamlit as st

from components import state
from lmlab.i18n import LANGUAGES, table, translate, translate_message

LABELS: dict[str, dict[str, str]] = {lang: table(lang) for lang in LANGUAGES}
MISSING: set[str] = set()  # keys asked for in a non-English run that the table lacks


_LAST = {"language": "en"}  # the language of the latest script run in this process


def current_language() -> str:
    """The session's language; outside a script run, the latest run's.

    Streamlit calls a widget's format_func only inside the script run; a test
    harness (AppTest) also calls it from its own thread to serialise widget
    values, where there is no session: it then gets the language last rendered.
    """
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    if get_script_run_ctx(suppress_warning=True) is None:
        return _LAST["language"]
    language = st.session_state.get(state.LANGUAGE, "en")
    _LAST["language"] = language
    return language


def t(text: str, **params) -> str:
    """`text` in the session's language; `{name}` placeholders filled from `params`.

    Numbers and tokens go in as params, so they stay exactly as the model gave them.
    """
    language = current_language()
    if language != "en" and text not in table(language):
        MISSING.add(text)
    return translate(text, language, **params)


def tm(sentence: str) -> str:
    """A finished sentence from the core (an error, a note) in the session's language."""
    return translate_message(sentence, current_language())


def labels() -> dict[str, str]:
    """The session language's table, for figure builders in lmlab.viz (labels=...)."""
    return table(current_language())
