"""Quiz questions: plain data in assets/quizzes/<page>.json, or built from the live model.

A question has a text, options and the index of the right option, each text in
every language ({"en": ..., "zh": ...}). Live questions (lmlab.quiz_answers)
are built from the model's own numbers on the student's text, so their answer
is whatever the model computes, not a key written by hand.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

QUIZZES = Path(__file__).resolve().parent.parent / "assets" / "quizzes"


@dataclass(frozen=True)
class Question:
    id: str
    text: dict[str, str]  # language -> question
    options: list[dict[str, str]]  # each option: language -> text
    answer: int  # index of the right option
    explain: dict[str, str] = field(default_factory=dict)  # shown after a check
    live: bool = False  # built from the model's numbers

    def in_language(self, language: str, key: str = "text") -> str:
        texts = getattr(self, key)
        return texts.get(language) or texts.get("en", "")

    def option_texts(self, language: str) -> list[str]:
        return [o.get(language) or o.get("en", "") for o in self.options]

    def is_right(self, choice: int | None) -> bool:
        return choice is not None and int(choice) == self.answer


def same_in_every_language(text: str) -> dict[str, str]:
    """Tokens and numbers stay as the model gives them: one text for all languages."""
    return {"en": text}


@lru_cache(maxsize=None)
def page_questions(page: str) -> tuple[Question, ...]:
    """The written questions of a page (assets/quizzes/<page>.json), in file order."""
    path = QUIZZES / f"{page}.json"
    if not path.is_file():
        return ()
    rows = json.loads(path.read_text(encoding="utf-8"))
    questions = []
    for row in rows:
        question = Question(row["id"], row["question"], row["options"], int(row["answer"]),
                            row.get("explain", {}))
        if not 0 <= question.answer < len(question.options):
            raise ValueError(f"{path.name}: question {question.id} has no option {question.answer}")
        questions.append(question)
    return tuple(questions)
