"""Short lessons from assets/lessons/<lang>/<page>.md, shown at the top of a page."""

from __future__ import annotations

import re
from pathlib import Path

import streamlit as st

from components.i18n import current_language, t

LESSONS = Path(__file__).resolve().parent.parent / "assets" / "lessons"

# CommonMark closes `**` only if it is not "punctuation followed by a letter": in
# "**如何使用：**先" the colon before `**` and the 先 after it leave the asterisks
# as text. Moving the closing punctuation out ("**如何使用**：先") renders as meant.
_BOLD_BEFORE_PUNCT = re.compile(r"(\*\*|__)([^*_\n]+?)([：:，,。．！!？?；;、）)」』”’]+)\1(?=[^\s*_])")


def cjk_safe_markdown(text: str) -> str:
    """Markdown whose bold spans end before closing punctuation, so CommonMark renders them."""
    return _BOLD_BEFORE_PUNCT.sub(r"\1\2\1\3", text)


def lesson_text(page: str, language: str = "en") -> str | None:
    for lang in (language, "en"):
        path = LESSONS / lang / f"{page}.md"
        if path.is_file():
            return cjk_safe_markdown(path.read_text(encoding="utf-8"))
    return None


def show_lesson(page: str, expanded: bool = False) -> None:
    text = lesson_text(page, current_language())
    if text:
        with st.expander(f"📖 {t('Lesson')}", expanded=expanded):
            st.markdown(text)
