"""Language names and a cautious guess of which language a text is written in.

The guess only has to catch the obvious mistake (German text pasted into an
English -> German translator), so it is deliberately simple: the script
(Chinese characters vs Latin letters) and the share of very common words.
It answers None whenever it is not sure, and the caller then trusts the user.
"""

from __future__ import annotations

import re

NAMES = {"en": "English", "de": "German", "fr": "French", "zh": "Chinese", "ro": "Romanian",
         "es": "Spanish", "it": "Italian", "ja": "Japanese", "ru": "Russian"}

# A few dozen of the most frequent words; enough to tell these apart on a sentence or two.
_COMMON = {
    "en": set("the and of to is in that it was for on are with as be this by at from have not "
              "they which you he she we his her their has were an or but been there".split()),
    "de": set("der die das und ist nicht ein eine zu den von mit sich des auf für im dem "
              "auch es an werden aus er hat dass sie nach wird bei einer um am sind noch wie "
              "einem über einen so zum war haben nur oder aber vor zur bis mehr durch".split()),
    "fr": set("le la les et est des un une du en que qui dans pour pas sur au avec ce il elle "
              "sont par plus ne se nous vous ils mais ou son sa ses aux été cette être".split()),
}
CJK_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ]")
_WORD = re.compile(r"[a-zà-öø-ÿ']+")


def name(code: str) -> str:
    return NAMES.get(code, code)


def is_cjk_text(text: str) -> bool:
    return bool(CJK_CHAR.search(text or ""))


def guess_language(text: str) -> str | None:
    """"zh", "en", "de", "fr", or None when the text is too short or ambiguous."""
    text = text or ""
    cjk, latin = len(CJK_CHAR.findall(text)), len(_LATIN.findall(text))
    if cjk + latin < 12:
        return None
    if cjk > 2 * latin:
        return "zh"
    if latin <= 2 * cjk:
        return None  # mixed scripts: do not guess
    words = _WORD.findall(text.lower())
    hits = {code: sum(w in common for w in words) for code, common in _COMMON.items()}
    best = max(hits, key=hits.get)
    runner_up = max(v for code, v in hits.items() if code != best)
    # Sure only with several common words and a clear lead over the next language.
    if hits[best] >= 3 and hits[best] >= 2 * runner_up + 1:
        return best
    return None
