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


def current_language() -> str:
    return st.session_state.get(state.LANGUAGE, "en")


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
