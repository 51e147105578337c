"""Short lessons from assets/lessons/<lang>/<page>.md, shown at the top of a page."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from components.i18n import current_language, t

LESSONS = Path(__file__).resolve().parent.parent / "assets" / "lessons"

# CommonMark closes `**` only if it is not "punctuation followed by a letter": in
# "**如何使用：**先" the colon before `**` and the 先 after it leave the asterisks
# as text. Moving the closing punctuation out ("**如何使用**：先") renders as meant;
# likewise opening punctuation right after a letter ("的**（注意）**").
_PUNCT = "：:，,。．！!？?；;、）)」』”’（(「『“‘"


def cjk_safe_markdown(text: str) -> str:
    """Markdown whose bold spans do not start or end on punctuation next to a letter."""
    return "\n\n".join(_fix_paragraph(p) for p in text.split("\n\n"))


def _fix_paragraph(paragraph: str) -> str:
    pieces = paragraph.split("**")  # outside, inside, outside, ...
    if len(pieces) % 2 == 0:  # an unpaired ** : leave the paragraph as written
        return paragraph
    for i in range(1, len(pieces), 2):
        inside = pieces[i]
        stripped = inside.rstrip(_PUNCT)
        after = pieces[i + 1]
        if stripped and stripped != inside and after[:1] and not after[:1].isspace():
            pieces[i], pieces[i + 1] = stripped, inside[len(stripped):] + after
        inside = pieces[i]
        lead = inside[:len(inside) - len(inside.lstrip(_PUNCT))]
        before = pieces[i - 1]
        if lead and lead != inside and before[-1:] and not before[-1:].isspace():
            pieces[i - 1], pieces[i] = before + lead, inside[len(lead):]
    return "**".join(pieces)


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
