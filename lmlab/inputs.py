"""Input checks, once for the whole lab: every core function and both front ends call these.

Each check returns the cleaned value or raises InputError with one sentence that
names the input, says what is wrong and what the limit is. Characters are
checked before any tokenizer runs, so a pasted megabyte costs nothing; tokens are
checked after, against the limit of the view and the model's context.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

from lmlab.errors import InputError

# Control characters that no keyboard types: NUL, C0 controls (tab, newline and
# carriage return kept), DEL, C1 controls. ANSI escapes start with ESC (\x1b).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
# Bidirectional overrides and isolates can make text read differently from what
# the model sees ("Trojan Source"); they are dropped, ordinary RTL text is kept.
_BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")
_SURROGATE = re.compile("[\ud800-\udfff]")
CHARS_PER_PAGE = 2_500  # a printed page of prose, for limits on long texts


def plain_text(text: str) -> str:
    """The text with invisible control bytes, ANSI escapes and bidi overrides removed.

    Lone surrogates (which no UTF-8 encoder accepts) become U+FFFD, so a string
    that came through JSON can still be tokenized, shown and sent to a browser.
    """
    text = _SURROGATE.sub("\ufffd", text)
    text = _ANSI.sub("", text)
    text = _CONTROL.sub("", text)
    return _BIDI.sub("", text)


def excerpt(text: str, limit: int = 40) -> str:
    """A piece of what the user typed, to quote in a sentence: plain, and cut with "…"."""
    text = plain_text(text)
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


def check_text(text: Any, *, what: str = "The text", max_chars: int,
               empty: str | None = None, strip: bool = False, allow_empty: bool = False) -> str:
    """A usable piece of text, or InputError with one sentence.

    `what` names the input in the sentence ("The prompt", "Your message");
    `empty` is the sentence for no text at all (default: "Please type ... first.").
    """
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise InputError(f"{what} must be text.")
    if len(text) > max_chars:  # before any cleaning or tokenizing: a paste of 1 MB is cheap
        raise InputError(f"{what} is {len(text):,} characters long{_pages(len(text))}; the "
                         f"limit here is {max_chars:,} characters{_pages(max_chars)}, so please "
                         "shorten it.")
    text = plain_text(text)
    if not allow_empty and not has_visible_text(text):
        raise InputError(empty or f"Please type some text first ({what.lower()} is empty).")
    return text.strip() if strip else text


def has_visible_text(text: str) -> bool:
    """True when something other than spaces and zero-width characters is there."""
    return any(not c.isspace() and unicodedata.category(c) not in ("Cf", "Zs", "Zl", "Zp")
               for c in text)


def _pages(chars: int) -> str:
    """' (about N pages)' for texts long enough that pages mean more than characters."""
    return f" (about {chars / CHARS_PER_PAGE:,.0f} pages)" if chars >= 10_000 else ""


def token_ids(tokenizer, text: str) -> list[int]:
    """The ids a tokenizer gives `text` (special tokens as the tokenizer adds them)."""
    return list(tokenizer(text)["input_ids"])


def check_token_count(count: int, *, what: str = "The text", max_tokens: int,
                      min_tokens: int = 1, why: str = "") -> int:
    """A token count within [min_tokens, max_tokens], or one sentence saying the limit."""
    if count > max_tokens:
        because = f" ({why})" if why else ""
        raise InputError(f"{what} is {count:,} tokens; the limit here is {max_tokens:,} "
                         f"tokens{because}, so please shorten it.")
    if count < min_tokens:
        raise InputError(f"{what} needs at least {min_tokens} tokens; it has {count}.")
    return count


def encode_text(loaded, text: Any, *, what: str = "The text", max_tokens: int,
                max_chars: int | None = None, min_tokens: int = 1, empty: str | None = None,
                why: str = ""):
    """Token ids (1, T) of a checked text for a loaded model.

    The token limit is the smaller of `max_tokens` and the model's context; the
    character limit defaults to 16 characters per allowed token, far above any
    real text, so a check in characters never refuses what the tokens allow.
    `why` may name the limit as {limit}.
    """
    import torch

    limit = min(int(max_tokens), int(getattr(loaded, "context_length", max_tokens)))
    text = check_text(text, what=what, max_chars=max_chars or max(2_000, 16 * limit), empty=empty)
    ids = token_ids(loaded.tokenizer, text)
    if limit < max_tokens and not why:
        why = "the model reads at most {limit:,}"
    check_token_count(len(ids), what=what, max_tokens=limit, min_tokens=min_tokens,
                      why=why.format(limit=limit))
    return torch.tensor([ids], dtype=torch.long)


def check_number(value: Any, *, name: str, low: float, high: float, integer: bool = False):
    """A number within [low, high] (an int when `integer`), or one sentence."""
    if isinstance(value, bool) or value is None or value == "":
        raise InputError(f"{name} must be a number between {_show(low)} and {_show(high)}.")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be a number between {_show(low)} and {_show(high)}.") \
            from None
    if not math.isfinite(number) or not low <= number <= high:
        raise InputError(f"{name} must be between {_show(low)} and {_show(high)}; "
                         f"got {_show(number)}.")
    if integer:
        if number != int(number):
            raise InputError(f"{name} must be a whole number; got {_show(number)}.")
        return int(number)
    return number


def _show(x: float) -> str:
    if isinstance(x, float) and not math.isfinite(x):
        return "infinity" if x > 0 else ("-infinity" if x < 0 else "not a number")
    if float(x) == int(x) and abs(x) < 1e15:
        return f"{int(x):,}"
    return f"{x:g}"
