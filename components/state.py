"""Session-state keys shared between pages, in one place.

A page's own widget and session keys live in that page (or in the component that
draws the widgets); tests/test_state_keys.py fails when two pages use one key.
Only what several pages share lives here: the language, the models, the working
text, presenter mode and a teacher's locks.
"""

LANGUAGE = "ui_language"

# The working text and model that the inspection pages carry from page to page
# (components/working_text.py); plain session values, not widget keys, so they
# survive a page switch.
WORKING_TEXT = "working_text"
WORKING_MODEL = "working_model"
WORKING_POSITION = "working_position"  # a token chosen on one page, opened on another

# Classroom settings from the URL (components/url_state.py, components/presenter.py)
PRESENTER = "presenter_mode"
LOCKED = "teacher_locked"  # setting names a teacher's link locks (?lock=text,layer)
HIDDEN = "teacher_hidden"  # setting names a teacher's link hides (?hide=temperature)
URL_SEEN = "url_state_seen"  # per page: the query values this session last read or wrote
URL_HISTORY = "url_state_history"  # per page and setting: the values read or written before


def model_key(task: str) -> str:
    return f"model_{task}"


def engine_key(task: str) -> str:
    """The model chosen on the translate/summarize pages (encoder-decoder or fallback)."""
    return f"engine_{task}"
