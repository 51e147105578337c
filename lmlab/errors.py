"""Errors whose message is one clear sentence meant for the user.

The front ends show `str(error)` as is (st.error / gr.Error); anything that is
not an LMLabError is a bug and gets a generic sentence instead of a traceback.
"""


class LMLabError(Exception):
    """Base class: the message is written for a student, not a developer."""


class InputError(LMLabError):
    """The user's input cannot be used (empty, too long, out of range...)."""


class ModelRefused(LMLabError):
    """The model id is not in the catalog (and arbitrary ids are not allowed)."""


class ModelUnavailable(LMLabError):
    """The model exists but cannot be loaded here (offline, failed load...)."""


class EngineUnavailable(LMLabError):
    """The external generation server (LMLAB_ENGINE_URL) is down, refusing or too slow."""


GENERIC_MESSAGE = "Something went wrong on our side; please try again or pick another model."


def user_message(error: BaseException) -> str:
    """The sentence to show for any exception: ours verbatim, others generic."""
    if isinstance(error, LMLabError):
        return str(error)
    return GENERIC_MESSAGE
