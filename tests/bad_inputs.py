"""One corpus of hostile and broken inputs, shared by the page and the API suites.

Each entry is (name, value). The suites send every text to every page and endpoint
and check that each gets a sentence about the input or sensible behaviour: never
the generic "Something went wrong", never a traceback, never markup from the input.
"""

from __future__ import annotations

import re

from lmlab.errors import GENERIC_MESSAGE

TEXTS: list[tuple[str, str]] = [
    ("empty", ""),
    ("whitespace only", "   \n\t  \n"),
    ("100,000 characters", "the cat sat on the mat. " * 4_167),
    ("1,000,000 characters", "x" * 1_000_000),
    ("5,000-character word", "supercalifragilistic" * 250),
    ("lone surrogates", "hello \ud800 wor\udfffld"),
    ("NUL and controls", "hi\x00 there\x07\x08\x7f\x9b"),
    ("ANSI escapes", "\x1b[31mred\x1b[0m \x1b[2Jtext"),
    ("RTL override", "abc \u202eevil\u202c def \u2066x\u2069"),
    ("zero-width and combining", "ze\u200bro\u200d wi\ufeffdth e\u0301\u0301\u0301\u0301"),
    ("only invisible", "\u200b\u200d\ufeff\u2060"),
    ("emoji", "I love 🤖🔥 and 👩‍👩‍👧 😀"),
    ("<script>", "<script>alert(1)</script>"),
    ("<img onerror>", "<img src=x onerror=alert(1)>"),
    ("\"><svg onload>", "\"><svg onload=alert(1)>"),
    ("markdown link/image", "[Click here](http://evil.example/login) ![x](http://evil.example/t.png)"),
    ("unknown words", "zzqxv blorfing quuxle"),
    ("malformed expression", "king + + - ( * ) =="),
]

MODEL_IDS: list[tuple[str, str]] = [
    ("unknown model id", "no-such/model"),
    ("path as model id", "../../etc/passwd"),
    ("empty model id", ""),
    ("HTML as model id", "<img src=x onerror=alert(1)>"),
]

# (parameter, value): each endpoint that has the parameter gets each value.
NUMBERS: list[tuple[str, float]] = [
    ("max_new_tokens", 0), ("max_new_tokens", -1), ("max_new_tokens", 10**9),
    ("temperature", -1), ("temperature", 1e9),
    ("top_p", 2), ("top_k", -5),
]

# Markup that must never survive from an input into what a browser renders.
# A backslash before it means markdown shows it as text (lmlab.markup.escape_markdown).
_RAW_MARKUP = re.compile(r"(?<!\\)<\s*(script|img|svg|iframe|form|a)\b|(?<!\\)\]\(http", re.I)


def is_generic(message: str) -> bool:
    return GENERIC_MESSAGE.split(";")[0] in message


def has_traceback(message: str) -> bool:
    return "Traceback (most recent call last)" in message or 'File "' in message


def has_raw_markup(message: str) -> bool:
    """True when a message would render markup taken from the input."""
    return bool(_RAW_MARKUP.search(message))


def is_one_sentence(message: str) -> bool:
    """A readable answer: short, no newlines of a dump, not empty."""
    message = message.strip()
    return 0 < len(message) <= 600 and message.count("\n") <= 2


def print_table(title: str, rows: dict[str, dict[str, tuple[int, int, int]]]) -> None:
    """rows: input name -> {column: (generic, traceback, raw markup)} -> a printed grid."""
    columns = sorted({c for row in rows.values() for c in row})
    width = max(len(n) for n in rows) + 1
    print(f"\n{title}: generic errors / tracebacks / raw markup per input and target")
    print(" " * width + " ".join(f"{c[:12]:>12}" for c in columns))
    for name, row in rows.items():
        cells = [("{}/{}/{}".format(*row[c]) if c in row else "-") for c in columns]
        print(f"{name:<{width}}" + " ".join(f"{cell:>12}" for cell in cells))
    totals = [sum(row[c][i] for row in rows.values() for c in row) for i in range(3)]
    print("total: {} generic, {} tracebacks, {} raw markup".format(*totals))
