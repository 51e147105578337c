"""Logging for both front ends, set up once: a level from LMLAB_LOG_LEVEL and one format.

Streamlit and Gradio configure their own loggers; LM Lab's messages go through the
"lmlab" logger (lmlab, lmlab.gradio, ...), which gets one handler here, so a server
log reads the same whichever app runs and nothing is printed twice.
"""

from __future__ import annotations

import logging
import os
import sys

LEVEL_VARIABLE = "LMLAB_LOG_LEVEL"
DEFAULT_LEVEL = "INFO"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_HANDLER_NAME = "lmlab-console"


def log_level() -> int:
    """The level LMLAB_LOG_LEVEL names (DEBUG, INFO, WARNING, ERROR), INFO when unset."""
    name = os.environ.get(LEVEL_VARIABLE, DEFAULT_LEVEL).strip().upper() or DEFAULT_LEVEL
    level = logging.getLevelName(name)
    if not isinstance(level, int):
        raise ValueError(f"{LEVEL_VARIABLE} must be one of DEBUG, INFO, WARNING, ERROR; "
                         f"it is {name!r}.")
    return level


def setup_logging() -> logging.Logger:
    """Give the "lmlab" logger its level and one stderr handler (idempotent)."""
    logger = logging.getLogger("lmlab")
    logger.setLevel(log_level())
    if not any(h.get_name() == _HANDLER_NAME for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.set_name(_HANDLER_NAME)
        handler.setFormatter(logging.Formatter(FORMAT))
        logger.addHandler(handler)
        logger.propagate = False  # the root logger (a framework's) would print it again
    return logger
