"""transformers, imported once, and models built one at a time.

Two facts about transformers make concurrent first requests unsafe:
- it is a lazily imported package: two threads resolving `from transformers
  import AutoTokenizer` for the first time at once can see a half-initialized
  module and fail with "ImportError: cannot import name ...";
- `from_pretrained` disables weight tying while it builds a model by replacing
  `PreTrainedModel.tie_weights` on the class, for every thread. A second load
  running meanwhile skips its tying (a tied output head comes out "MISSING,
  newly initialized", i.e. random), and interleaved restores can leave tying
  switched off for the rest of the process.
So the names are resolved here once, under a process-wide lock, and every
model construction runs under `build_lock` (loads take turns; a load is CPU
or disk bound anyway, so little is lost).
"""

from __future__ import annotations

import threading
from types import SimpleNamespace

_NAMES = ("AutoTokenizer", "AutoModel", "AutoModelForCausalLM", "AutoModelForSeq2SeqLM",
          "AutoModelForMaskedLM", "AutoConfig", "PreTrainedModel", "StoppingCriteria",
          "StoppingCriteriaList", "TextIteratorStreamer", "GenerationConfig",
          "AttentionInterface", "AutoModelForSequenceClassification",
          "AutoModelForQuestionAnswering")
_SUBMODULES = ("transformers.masking_utils", "transformers.generation")

_import_lock = threading.Lock()
_names: SimpleNamespace | None = None
build_lock = threading.RLock()


def tf() -> SimpleNamespace:
    """The transformers names LM Lab uses, imported once for the whole process."""
    global _names
    with _import_lock:
        if _names is None:
            import importlib

            import transformers

            for module in _SUBMODULES:
                importlib.import_module(module)
            _names = SimpleNamespace(**{n: getattr(transformers, n) for n in _NAMES})
            _names.original_tie_weights = _names.PreTrainedModel.tie_weights
        return _names


def repair_tying() -> None:
    """Put `PreTrainedModel.tie_weights` back if a load elsewhere left it switched off."""
    names = tf()
    if names.PreTrainedModel.tie_weights is not names.original_tie_weights:
        names.PreTrainedModel.tie_weights = names.original_tie_weights


def head_is_tied(model) -> bool:
    """For a model whose config ties the output head to the input embeddings: is it?"""
    config = getattr(model, "config", None)
    get_text = getattr(config, "get_text_config", None)
    text_config = get_text() if callable(get_text) else config
    if not getattr(text_config, "tie_word_embeddings", False):
        return True
    head = model.get_output_embeddings() if hasattr(model, "get_output_embeddings") else None
    if head is None:
        return True
    return head.weight is model.get_input_embeddings().weight
