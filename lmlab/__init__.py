"""LM Lab core: models, numbers and figures, with no UI framework inside."""

from lmlab.errors import InputError, LMLabError, ModelRefused, ModelUnavailable

__all__ = ["LMLabError", "InputError", "ModelRefused", "ModelUnavailable"]


def __getattr__(name: str):
    # `import lmlab` stays light (no torch); `lmlab.notebook` loads on first use.
    if name == "notebook":
        import importlib

        return importlib.import_module("lmlab.notebook")
    raise AttributeError(f"module 'lmlab' has no attribute {name!r}")
