"""Finding the UI text of LM Lab: every t() key in the sources, and English left in a page.

Used by tests/test_i18n_complete.py. Keys are read from the code (not kept in a
list by hand); rendered pages are scanned for English words that are neither
proper nouns, model names, tokens, code nor units.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UI_SOURCES = ["pages", "components", "app.py"]


def _files():
    for entry in UI_SOURCES:
        path = ROOT / entry
        yield from ([path] if path.is_file() else sorted(path.glob("*.py")))


def _module_strings(tree: ast.Module) -> dict[str, object]:
    """Module-level NAME = "text" and NAME = {"k": "text"} assignments."""
    found: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            if isinstance(target, ast.Name) and node.value is not None:
                try:
                    found[target.id] = ast.literal_eval(node.value)
                except ValueError:
                    pass
    return found


def _resolve(node: ast.AST, strings: dict, imports: dict) -> object:
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return strings.get(node.id)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        module = imports.get(node.value.id)
        if module:
            return getattr(importlib.import_module(module), node.attr, None)
    return None


def used_keys() -> dict[str, str]:
    """Every text the UI sends through t(): key -> the file that uses it."""
    keys: dict[str, str] = {}
    for path in _files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        strings = _module_strings(tree)
        imports = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    imports[alias.asname or alias.name] = alias.name
        imports = {k: v for k, v in imports.items() if _is_module(v)}
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "t" and node.args):
                continue
            arg = node.args[0]
            if isinstance(arg, ast.Subscript):  # t(TABLE[k]): every value of the table
                table = _resolve(arg.value, strings, imports)
                values = table.values() if isinstance(table, dict) else []
            else:
                values = [_resolve(arg, strings, imports)]
            for value in values:
                if isinstance(value, str):
                    keys.setdefault(value, str(path.relative_to(ROOT)))
    return keys


def _is_module(name: str) -> bool:
    try:
        importlib.import_module(name)
        return True
    except Exception:
        return False


# ---------------------------------------------------------------- rendered pages

# Proper nouns, technical names and formula words that stay as they are in any language.
KEPT_WORDS = {
    "LM", "Lab", "GloVe", "BERT", "BERT-style", "GPT", "GPT-2", "GPT-style", "LSTM",
    "Transformer", "PCA", "t-SNE", "UMAP", "ROUGE", "ROUGE-1", "ROUGE-2", "ROUGE-L", "BLEU",
    "chrF", "softmax", "bertviz", "RoPE", "KL", "Adam", "SGD", "AdaGrad", "Opus-MT", "T5", "BART",
    "Hugging", "Face", "Hub", "CPU", "GPU", "CUDA", "MPS", "CSV", "PNG", "JSON", "MB", "GB",
    "UTF-8", "float32", "bfloat16", "float16", "bf16", "fp32", "MiniLM", "SmolLM2", "RoBERTa",
    "Top-k", "top-k", "Top-p", "top-p", "exp", "log", "logit", "logits", "test", "argmax", "cos", "MASK",
    "Marian", "Gradio", "Streamlit", "URL", "NLL", "Rollout", "map", "reduce", "map-reduce",
    "ZWSP", "ZWJ", "ZWNJ", "English", "Pennington", "Socher", "Manning", "Mikolov", "Firth",
    "Bolukbasi", "Caliskan", "Gonen", "Goldberg", "Vaswani", "Google", "Wikipedia", "Gigaword", "Shakespeare",
    "Llama", "Bahdanau", "QK", "OpenAI", "WEAT", "SQuAD", "SST-2", "DistilBERT", "gensim",
    "CosAdd", "Logit", "int8", "int4", "KB", "Mainz", "Gutenberg", "km", "ms", "vs", "Kᵀ", "Q", "K", "V",
    # English words of the GloVe vocabulary that the GloVe quiz asks about (the vectors are English)
    "king", "queen", "man", "woman",
}
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'’-]*[A-Za-z0-9]")
# Code spans, links, identifiers, [MASK]-style tokens, HTML tags, function names in a
# formula ("softmax(", "Attention("), acronyms (QK, MLP), and the English term a
# Chinese sentence gives in brackets as a glossary entry (“词元（token，…）”).
_CODE = re.compile(r"`[^`]*`|https?://\S+|\b\w*_\w*\b|\[[A-Z]+\]|<[^>]+>|[?&][\w=,.…-]+"
                   r"|(?<=（)[A-Za-z][A-Za-z0-9 .-]*|\b[A-Za-z]+(?=\()|\b[A-Z]{2,5}s?\b"
                   r"|\bv\d+(?:\.\d+)*\b"  # a version: v1.1
                   r"|⟨[0-9a-f ]+⟩"  # a token's loose bytes (lmlab.token_text): ⟨f0 9f⟩
                   r"|\b[a-z]+(?:\s*[-+−]\s*[0-9.]*\s*[a-z]+)+")  # a GloVe expression: king - man


def model_words() -> set[str]:
    """Names and ids of every model in the catalog: they stay as written."""
    from lmlab.registry import catalog

    words: set[str] = set()
    for spec in catalog():
        for text in (spec.id, spec.name, getattr(spec, "hub_repo", "") or "", spec.license):
            for word in _WORD.findall(text):
                words.add(word)
                words.update(re.split(r"[-.]", word))  # "Opus-MT" shows as "Opus" and "MT" too
    return words


def english_words(text: str, allowed: set[str], pieces: str = "") -> list[str]:
    """Words of English left in `text` once code, names and tokens are taken out.

    `pieces` is the page's own text, lower-cased: a token is a piece of it ("#3 he").
    """
    text = _CODE.sub(" ", text)
    return [w for w in _WORD.findall(text)
            if w not in allowed and w.strip("'’-") not in allowed and len(w) > 1
            and not (pieces and w.lower() in pieces)]


def rendered_strings(at) -> list[tuple[str, str]]:
    """(what, text) for every label, help, option and text a student sees on the page."""
    found: list[tuple[str, str]] = []

    def add(kind: str, value) -> None:
        if isinstance(value, str) and value.strip():
            found.append((kind, value))

    for kind in ("title", "header", "subheader", "caption", "markdown", "info", "warning",
                 "error", "success", "toast"):
        for element in getattr(at, kind, []):
            add(kind, element.value)
    for kind in ("button", "text_area", "text_input", "number_input", "slider", "select_slider",
                 "selectbox", "radio", "checkbox", "toggle", "multiselect", "chat_input",
                 "date_input", "color_picker", "metric", "expander", "tabs", "status"):
        for element in getattr(at, kind, []):
            for attr in ("label", "help", "placeholder"):
                add(f"{kind}.{attr}", getattr(element, attr, None))
            if kind == "metric":
                add("metric.value", element.value)
            for option in getattr(element, "options", None) or []:
                add(f"{kind}.option", option)
    return found


def content_words(at) -> set[str]:
    """Words the student typed or the page was given as text (tokens come from these)."""
    words: set[str] = set()
    for kind in ("text_area", "text_input"):
        for element in getattr(at, kind, []):
            words.update(_WORD.findall(str(element.value or "")))
    for element in getattr(at, "text", []):
        words.update(_WORD.findall(str(element.value or "")))
    return words
