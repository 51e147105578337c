"""Translation tables for both front ends: a language switch is a lookup, not code.

The tables live in assets/i18n/<lang>.json and map English text to the other
language. A key may hold `{name}` placeholders: `translate(key, lang, name=...)`
fills them, and `translate_message` recognises a finished English sentence
from the core (an InputError with its numbers already in it) by matching it
against those templates, so lmlab keeps writing plain sentences and the front
ends translate them at display time. Anything missing stays English.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

TABLES = Path(__file__).resolve().parent.parent / "assets" / "i18n"
LANGUAGES = {"en": "English", "zh": "中文"}
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_SENTENCE_END = re.compile(r"[.!?]\s+[A-Z]")


@lru_cache(maxsize=None)
def table(language: str) -> dict[str, str]:
    """English text -> text in `language` (empty for English or an unknown language)."""
    path = TABLES / f"{language}.json"
    if language == "en" or not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def translate(text: str, language: str, **params) -> str:
    """`text` in `language`, with `{name}` placeholders filled from `params`."""
    out = table(language).get(text, text)
    return out.format(**params) if params else out


@lru_cache(maxsize=None)
def _patterns(language: str) -> list[tuple[re.Pattern, str]]:
    """Every template key as a regex whose named groups catch the placeholder values."""
    patterns = []
    for key, value in table(language).items():
        if "{" not in key:
            continue
        parts = _PLACEHOLDER.split(key)  # text, name, text, name, ...
        regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.*?)"
                        for i, p in enumerate(parts))
        try:
            patterns.append((re.compile(f"^{regex}$", re.S), value))
        except re.error:  # the same placeholder twice: that template is used by t() only
            continue
    # The longest fixed text first: "The prompt is {n} tokens" before "{what} is {n} tokens".
    patterns.sort(key=lambda p: -len(_PLACEHOLDER.sub("", p[0].pattern)))
    return patterns


def translate_message(sentence: str, language: str) -> str:
    """A finished English sentence in `language`; its numbers and names are kept as they are.

    Placeholder values that are themselves in the table ("The prompt") are
    translated too; a sentence made of several sentences is translated piece by piece.
    """
    if language == "en" or not sentence:
        return sentence
    lookup = table(language)
    if sentence in lookup:
        return lookup[sentence]
    matches = [(m, value) for pattern, value in _patterns(language)
               if (m := pattern.match(sentence))]
    # A template whose values hold no sentence end (". The") fits best: for "{error} It
    # was not sent." the first sentence is the value, not the tail of another template.
    clean = [(m, v) for m, v in matches
             if not any(_SENTENCE_END.search(x) for x in m.groupdict().values())]
    for match, value in (clean or matches)[:1]:
        params = {k: _value(v, language) for k, v in match.groupdict().items()}
        return value.format(**params)
    pieces = re.split(r"(?<=[.!?])\s+(?=[A-Z])", sentence)
    if len(pieces) > 1:
        return "".join(translate_message(p, language) for p in pieces)
    return sentence


def _value(text: str, language: str) -> str:
    """A placeholder's value: a name from the table, a shorter sentence, or as it is."""
    lookup = table(language)
    for candidate in (text, text[:1].upper() + text[1:]):
        if candidate in lookup:
            return lookup[candidate]
    if re.search(r"[A-Za-z]{3}", text):
        return translate_message(text, language)  # shorter than the sentence: this ends
    return text
