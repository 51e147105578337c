"""Figure text in the reader's language: builders take a `labels` table from the caller.

lmlab imports no UI, so a page passes its language's table (English text ->
translated text; `{name}` placeholders allowed) and each title and axis goes
through `tr`. Without a table the English text is used.
"""

from __future__ import annotations

import math
from typing import Mapping

Labels = Mapping[str, str] | None


def tr(labels: Labels, text: str, **params) -> str:
    out = (labels or {}).get(text, text)
    return out.format(**params) if params else out


def percent(p: float, digits: int = 3) -> str:
    """A probability as a percentage with `digits` significant digits.

    0.5 -> "50%", 0.0123 -> "1.23%", 0.000123 -> "0.0123%": a flat distribution
    (temperature 3) never reads "0.00%" for every token.
    """
    if not p > 0:
        return "0%"
    value = p * 100
    decimals = max(0, digits - 1 - math.floor(math.log10(value)))
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%"


# d3 formats for plotly: "p" rounds to significant digits, "~" trims trailing zeros.
PERCENT_TICKS = ".2~p"
PERCENT_HOVER = ".3~p"


def log_ticks(low: float, high: float) -> tuple[list[float], list[str]]:
    """Tick values 1-2-5 per decade over [low, high], with labels that read as plain numbers.

    Plotly's own log ticks label the digits between powers of ten ("3, 2, 1000, 9"),
    which reads as nonsense to a student; these say 2, 5, 10, 20, 50, 100 ...
    """
    low, high = max(min(low, high), 1e-12), max(low, high, 1e-12)
    values = []
    for exponent in range(math.floor(math.log10(low)) - 1, math.ceil(math.log10(high)) + 1):
        for mantissa in (1, 2, 5):
            value = mantissa * 10.0 ** exponent
            if low / 1.25 <= value <= high * 1.25:
                values.append(value)
    if len(values) < 2:  # a narrow range: a few round values inside it
        values = sorted({float(f"{v:.2g}") for v in (low, math.sqrt(low * high), high)})
    return values, [f"{v:,.10g}" for v in values]
