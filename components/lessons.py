"""Short lessons from assets/lessons/<lang>/<page>.md, shown at the top of a page."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from components.i18n import current_language, t

LESSONS = Path(__file__).resolve().parent.parent / "assets" / "lessons"


def lesson_text(page: str, language: str = "en") -> str | None:
    for lang in (language, "en"):
        path = LESSONS / lang / f"{page}.md"
        if path.is_file():
            return path.read_text(encoding="utf-8")
    return None


def show_lesson(page: str, expanded: bool = False) -> None:
    text = lesson_text(page, current_language())
    if text:
        with st.expander(f"📖 {t('Lesson')}", expanded=expanded):
            st.markdown(text)
