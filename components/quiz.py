"""Quizzes at the end of a page: two or three questions, checked on the spot.

Written questions come from assets/quizzes/<page>.json; a page may also offer
live ones (lmlab.quiz_answers) built from the model's numbers in this run.
app.py draws the quiz after the page, so every page with questions ends with one.
"""

from __future__ import annotations

import hashlib
import json
import threading

import streamlit as st

from components.i18n import current_language, t
from lmlab.markup import escape_markdown
from lmlab.quiz import Question, page_questions

MAX_QUESTIONS = 3


class _Offered(threading.local):
    """Live questions offered by the page running in this script thread."""

    def __init__(self) -> None:
        self.questions: list[Question] = []


OFFERED = _Offered()


def begin_run() -> None:
    OFFERED.questions = []


def offer(question: Question) -> None:
    """Add a live question to the end-of-page quiz (live ones come first)."""
    OFFERED.questions.append(question)


def show_quiz(page: str) -> None:
    questions = [*OFFERED.questions, *page_questions(page)][:MAX_QUESTIONS]
    OFFERED.questions = []
    if not questions:
        return
    language = current_language()
    st.divider()
    st.subheader("🧩 " + t("Check yourself"))
    for question in questions:
        _ask(page, question, language)


def _ask(page: str, question: Question, language: str) -> None:
    options = question.option_texts(language)  # live ones may hold what a user typed
    # A new text gives a live question new options: a new key starts it afresh.
    digest = hashlib.sha1(json.dumps([question.id, question.options, question.answer],
                                     ensure_ascii=False).encode()).hexdigest()[:10]
    key = f"quiz_{page}_{question.id}_{digest}"
    with st.container(border=True, key=f"{key}_box"):
        # The question is shown as text above the choices, so the radio's own label stays
        # short: pages' controls keep unique names for screen readers and browser tests.
        st.markdown(f"**{escape_markdown(question.in_language(language))}**")
        choice = st.radio(t("Your answer"), range(len(options)), index=None,
                          format_func=lambda i: escape_markdown(options[i]), key=key,
                          label_visibility="collapsed")
        if st.button(t("Check"), key=f"{key}_check"):
            st.session_state[f"{key}_checked"] = True
        if not st.session_state.get(f"{key}_checked"):
            return
        explain = question.in_language(language, "explain")
        if choice is None:
            st.warning(t("Pick an answer first."))
        elif question.is_right(choice):
            st.success("✅ " + t("Right.") + (f" {explain}" if explain else ""))
        else:
            st.error("❌ " + t("Not quite: the answer is “{answer}”.",
                                answer=escape_markdown(options[question.answer]))
                     + (f" {explain}" if explain else ""))
