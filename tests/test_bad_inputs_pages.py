"""Every bad input on every page that takes text, through AppTest on tiny models.

Each page's main text box gets each input (and its main button is pressed): the
page shows a sentence about the input or a sensible result, never the generic
sentence, never a traceback, never markup taken from the input; the typed text
stays in its box and the chat history does not grow on a refused message.
Prints a table inputs × pages.
"""

from __future__ import annotations

import os
import re
import time

from apptest_helpers import open_page
from bad_inputs import TEXTS, has_raw_markup, is_generic, print_table

# page -> name of the primary button to press after typing (None: the page reacts alone)
PAGES = {
    "generate": "Generate", "chat": None, "next_token": None, "token_lens": "Score",
    "attention": None, "attention_math": "Compute", "translate": "Translate",
    "summarize": "Summarize", "embeddings": None, "glove": None, "classify": None,
    "qa": "Answer",
}
# A browser's lone surrogate reaches the page as U+FFFD (components/wire_repair.py, with its
# browser test); AppTest's own protobuf encoding cannot carry one, so it sends that form.
_SURROGATE = re.compile("[\ud800-\udfff]")
HOSTILE_HTML = ("<script>alert(1)", "<img src=x onerror", "<svg onload")


def _main_box(at):
    """The page's main text box: its chat input, else its first text area, else text input."""
    for kind in ("chat_input", "text_area", "text_input"):
        boxes = list(getattr(at, kind))
        if boxes:
            return kind, boxes[0].key
    raise AssertionError("no text box on the page")


def _shown(at) -> list[tuple[str, bool]]:
    """(text, rendered as HTML?) of everything markdown-like on the page."""
    out = []
    for kind in ("markdown", "caption", "error", "warning", "info", "success"):
        for element in getattr(at, kind):
            out.append((str(element.value), bool(getattr(element.proto, "allow_html", False))))
    return out


def _score(at) -> tuple[int, int, int]:
    generic = sum(is_generic(str(e.value)) for e in at.error)
    tracebacks = len(at.exception)
    raw = sum(1 for text, as_html in _shown(at)
              if has_raw_markup(text) and (as_html or "](http" in text)
              or as_html and any(h in text for h in HOSTILE_HTML))
    return generic, tracebacks, raw


def _kept(box, text: str) -> str:
    """What the box should hold: a box with max_chars takes that many, as a browser's does."""
    limit = getattr(box.proto, "max_chars", 0)
    return text[:limit] if limit else text


def _history(at) -> int | None:
    for key in ("chat_history", "chat_messages"):
        if key in at.session_state:
            return len(at.session_state[key])
    return None


def test_every_bad_input_on_every_page(tiny_catalog):
    rows: dict[str, dict[str, tuple[int, int, int]]] = {}
    problems = []
    start = time.monotonic()
    only = [p for p in os.environ.get("LMLAB_BAD_INPUT_PAGES", "").split(",") if p]
    for page, button in PAGES.items():
        if only and page not in only:
            continue
        at = open_page(f"pages/{page}.py", timeout=120)
        kind, key = _main_box(at)
        for name, text in TEXTS:
            text = _SURROGATE.sub("\ufffd", text)
            before = _history(at)
            box = getattr(at, kind)(key=key) if key else getattr(at, kind)[0]
            box.set_value(text)
            if button and [b for b in at.button if b.label == button]:
                [b for b in at.button if b.label == button][0].click()
            at.run(timeout=300)  # a slow shared machine; the table prints each page's time
            score = _score(at)
            rows.setdefault(name, {})[page] = score
            if any(score):
                problems.append((page, name, score, [str(e.value)[:160] for e in at.error],
                                 [str(e.value)[:300] for e in at.exception]))
            if kind != "chat_input" and key:
                box = getattr(at, kind)(key=key)
                if box.value != _kept(box, text):
                    problems.append((page, name, "the typed text was not kept"))
            after = _history(at)
            if kind == "chat_input" and at.error and before is not None and after != before:
                problems.append((page, name, f"history {before} -> {after} on a refused message"))
    print_table(f"Streamlit pages ({time.monotonic() - start:.0f} s)", rows)
    assert not problems, problems
