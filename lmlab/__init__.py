"""LM Lab core: models, numbers and figures, with no UI framework inside."""

from lmlab.errors import InputError, LMLabError, ModelRefused, ModelUnavailable

__all__ = ["LMLabError", "InputError", "ModelRefused", "ModelUnavailable"]
