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


OUT_OF_MEMORY_MESSAGE = ("There was not enough memory for this input; LM Lab unloaded its "
                         "other models. Try a shorter text or a smaller model.")


def is_out_of_memory(error: BaseException) -> bool:
    """MemoryError, or torch's "out of memory" RuntimeError (CUDA, MPS, CPU allocators)."""
    if isinstance(error, MemoryError):
        return True
    text = str(error).lower()
    return isinstance(error, RuntimeError) and ("out of memory" in text
                                                or "not enough memory" in text)


def user_message(error: BaseException) -> str:
    """The sentence to show for any exception: ours verbatim, others generic.

    Memory running short is not a bug: the process frees what it can (every
    store unloads all but its most recent model) and says what to try.
    """
    if isinstance(error, LMLabError):
        return str(error)
    if is_out_of_memory(error):
        from lmlab.loading import free_memory  # lazy: this module stays import-light

        free_memory()
        return OUT_OF_MEMORY_MESSAGE
    return GENERIC_MESSAGE
