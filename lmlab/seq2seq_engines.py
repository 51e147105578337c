"""Which model answers a translation or summarization, and what the page says about it.

Catalog encoder-decoder models that are published models (a Hub repo, or an
embedded package) and can be loaded right now, best first. Local folders
without a Hub repo (such as the random-weight test models) only count when
LMLAB_LOCAL_SEQ2SEQ=1, so a random model is never presented as a translator.
When none is available (offline), the embedded instruct model SmolLM2 answers
with a prompt, and the result says so. Both front ends choose through here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from lmlab import languages
from lmlab.device import choose_device
from lmlab.errors import InputError
from lmlab.loading import LoadedModel
from lmlab.registry import ModelSpec, catalog, get_spec
from lmlab.sources import is_available

FALLBACK_MODEL_ID = "HuggingFaceTB/SmolLM2-135M-Instruct"
AUTO = "auto"  # "the best model ready for this job"
# T5 was trained with these task prefixes (Raffel et al., 2020).
T5_PAIRS = {("en", "de"): "German", ("en", "fr"): "French", ("en", "ro"): "Romanian"}



def counts_as_published(spec: ModelSpec) -> bool:
    """A real model: named on the Hub or embedded from a package (see module doc)."""
    if spec.hub_repo or (spec.offline is not None and spec.offline.kind != "local"):
        return True
    return os.environ.get("LMLAB_LOCAL_SEQ2SEQ") == "1"


def is_t5(spec: ModelSpec) -> bool:
    return "t5" in (spec.hub_repo or spec.id).lower() or spec.extra.get("model_type") == "t5"


def serves_pair(spec: ModelSpec, src: str, tgt: str) -> bool:
    if spec.languages is not None:
        return tuple(spec.languages) == (src, tgt)
    return is_t5(spec) and (src, tgt) in T5_PAIRS


def _seq2seq_specs(task: str) -> list[ModelSpec]:
    return [s for s in catalog() if s.kind == "seq2seq" and task in s.tasks
            and counts_as_published(s)]


def language_pairs() -> list[tuple[str, str]]:
    """Every (source, target) pair some published catalog model translates, in catalog order."""
    pairs: list[tuple[str, str]] = []
    for spec in _seq2seq_specs("translate"):
        found = [tuple(spec.languages)] if spec.languages else (
            list(T5_PAIRS) if is_t5(spec) else [])
        pairs.extend(p for p in found if p not in pairs)
    return pairs


def source_languages() -> list[str]:
    return list(dict.fromkeys(src for src, _ in language_pairs()))


def target_languages(src: str) -> list[str]:
    return [tgt for s, tgt in language_pairs() if s == src]


def check_pair(src: str, tgt: str) -> tuple[str, str]:
    if (src, tgt) not in language_pairs():
        raise InputError(f"LM Lab has no translation model for {languages.name(src)} → "
                         f"{languages.name(tgt)}; pick one of the listed language pairs.")
    return src, tgt


@dataclass(frozen=True)
class EngineChoice:
    """The models a page can offer for one job, best first."""

    ready: list[ModelSpec]  # encoder-decoder models loadable now
    unreachable: list[ModelSpec]  # published ones that need the Hub (offline now)
    fallback: ModelSpec  # the embedded instruct model

    @property
    def options(self) -> list[ModelSpec]:
        return [*self.ready, self.fallback]


def engine_specs(task: str, pair: tuple[str, str] | None = None) -> EngineChoice:
    specs = _seq2seq_specs(task)
    if task == "translate":
        if pair is None:
            raise ValueError("translation needs a language pair")
        check_pair(*pair)
        specs = [s for s in specs if serves_pair(s, *pair)]
    ready = [s for s in specs if is_available(s)]
    unreachable = [s for s in specs if s not in ready]
    return EngineChoice(ready, unreachable, get_spec(FALLBACK_MODEL_ID))


def purpose_for(spec: ModelSpec, task: str = "translate") -> str:
    """Which copy of the model to load ("inspect" is float32).

    Encoder-decoder models: float32, the cross-attention view shows exact numbers.
    The chat-model fallback summarizing on a CPU: float32 too, because map-reduce
    feeds it batches of long chunks, and CPUs without native bfloat16 read long
    prompts several times slower in bfloat16 (bench/bench_seq2seq.py measures it).
    Short translations decode token by token, where bfloat16 is the faster one.
    """
    if spec.kind == "seq2seq":
        return "inspect"
    if task == "summarize" and choose_device() == "cpu":
        return "inspect"
    return "generate"


def is_fallback(loaded: LoadedModel) -> bool:
    return not getattr(loaded.model.config, "is_encoder_decoder", False)


def fallback_note(loaded: LoadedModel, task: str, unreachable: list[ModelSpec] = ()) -> str:
    """The plain sentence shown under a fallback answer."""
    job = "translation" if task == "translate" else "summarization"
    names = [s.name for s in unreachable]
    real = (" and ".join([", ".join(names[:-1]), names[-1]]) if len(names) > 1 else
            names[0] if names else "no encoder-decoder model")
    return (f"Answered by {loaded.spec.name}, a small chat model prompted to do {job}: this is a "
            f"fallback, because {real} {'can' if not names else 'cannot'} be reached offline. Expect mistakes; online, "
            f"LM Lab uses the real {job} model.")


def engine_catalog(task: str) -> list[ModelSpec]:
    """Every model a picker may list for the job (ready or not), the fallback last."""
    return [*_seq2seq_specs(task), get_spec(FALLBACK_MODEL_ID)]


def choose_engine(task: str, model_id: str | None, pair: tuple[str, str] | None = None
                  ) -> tuple[ModelSpec, EngineChoice]:
    """The model that answers: the named one, or with AUTO / nothing the best one ready now."""
    choice = engine_specs(task, pair)
    model_id = (model_id or "").strip() or AUTO
    spec = choice.options[0] if model_id == AUTO else get_spec(model_id)
    return spec, choice


def answered_note(loaded: LoadedModel, task: str, choice: EngineChoice | None = None) -> str:
    """The sentence under an answer that says which model wrote it."""
    if is_fallback(loaded):
        return fallback_note(loaded, task, choice.unreachable if choice else [])
    return f"Answered by {loaded.spec.name}, an encoder-decoder model."
